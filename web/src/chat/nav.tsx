import { Link, useLocation } from '../router.js';
import { useSession } from '../session.js';

/** The chat's link in the header, signed-in users only. */
export function ChatNav() {
  const { user } = useSession();
  const { path } = useLocation();
  if (!user) return null;
  return (
    <Link href="/chat" aria-current={path === '/chat' || path.startsWith('/chat/') ? 'page' : undefined}>
      Chat
    </Link>
  );
}
