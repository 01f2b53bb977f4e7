import { TimeAgo, useNow } from '../feed/tweet.js';
import { Link } from '../router.js';
import type { ChatClient } from './client.js';
import { PresenceDot } from './presence.js';
import { conversationName, type ChatState } from './state.js';
import type { ConversationSummary } from './types.js';

/** The last message as one line: "You: …", "ann: …", or that it was deleted. */
function preview(summary: ConversationSummary, me: string | null): string {
  const m = summary.lastMessage;
  if (m === null) return 'No messages yet';
  const who = m.author.username === me ? 'You' : summary.kind === 'direct' ? '' : m.author.displayName || m.author.username;
  const what = m.deleted ? 'message deleted' : m.text.replace(/\s+/g, ' ');
  return who === '' ? what : `${who}: ${what}`;
}

/** The conversations, most recent activity first, each with its unread count and last message. */
export function ConversationList({ state, client, current }: { state: ChatState; client: ChatClient; current: string | undefined }) {
  const now = useNow();
  const { list } = state;
  if (!list.loaded) {
    return list.error === null ? (
      <p className="muted" aria-busy="true">
        Loading conversations…
      </p>
    ) : (
      <div className="feed-more">
        <p className="error" role="alert">
          {list.error}
        </p>
        <button type="button" onClick={() => void client.loadList()}>
          Try again
        </button>
      </div>
    );
  }
  if (list.items.length === 0) return <p className="feed-empty">No conversations yet: start one above.</p>;
  return (
    <>
      <ol className="chat-list" aria-label="Conversation list">
        {list.items.map((s) => {
          const name = conversationName(s);
          const label = s.unread > 0 ? `${name} (${s.unread} unread)` : name;
          return (
            <li key={s.id} className={s.unread > 0 ? 'chat-item chat-item-unread' : 'chat-item'}>
              <Link href={`/chat/${encodeURIComponent(s.id)}`} aria-current={s.id === current ? 'page' : undefined} aria-label={label} data-conversation={s.id}>
                <span className="chat-item-top">
                  <span className="chat-item-name">
                    {s.peer !== undefined && <PresenceDot presence={state.presence[s.peer.username]} />}
                    {name}
                  </span>
                  <TimeAgo iso={s.lastMessage?.createdAt ?? s.lastActivityAt} now={now} />
                </span>
                <span className="chat-item-bottom">
                  <span className={s.lastMessage?.deleted ? 'chat-item-preview chat-deleted' : 'chat-item-preview'}>{preview(s, state.me)}</span>
                  {s.unread > 0 && (
                    <span className="feed-badge chat-unread" aria-hidden="true">
                      {s.unread > 999 ? '999+' : s.unread}
                    </span>
                  )}
                </span>
              </Link>
            </li>
          );
        })}
      </ol>
      {list.nextCursor !== null && (
        <div className="feed-more">
          <button type="button" className="feed-secondary" onClick={() => void client.loadMoreConversations()}>
            More conversations
          </button>
        </div>
      )}
      {list.error !== null && (
        <p className="error" role="alert">
          {list.error}
        </p>
      )}
    </>
  );
}
