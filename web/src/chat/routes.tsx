import { lazy, type ReactNode } from 'react';

// A chunk of its own, loaded when first visited: the first page stays small.
const ChatPage = lazy(() => import('./chat.page.js'));

/** The chat's pages, in the shape of app.tsx's route table (spread in at its chat marker). */
export const CHAT_ROUTES: { pattern: string; auth?: boolean; render: (params: Record<string, string>, query: URLSearchParams) => ReactNode }[] = [
  { pattern: '/chat', auth: true, render: () => <ChatPage /> },
  // No key per conversation: the page (and its socket) stays, only the open conversation changes.
  { pattern: '/chat/:id', auth: true, render: (p) => <ChatPage conversationId={p.id} /> },
];
