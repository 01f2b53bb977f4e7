import { useEffect, useLayoutEffect, useRef } from 'react';
import { useNow } from '../feed/tweet.js';
import { Link } from '../router.js';
import type { ChatClient } from './client.js';
import { MessageItem, PendingItem } from './message-item.js';
import { PresenceDot, presenceText } from './presence.js';
import { SendBox } from './send-box.js';
import { conversationName, EMPTY_THREAD, typistsAt, type ChatState } from './state.js';

/** Within this many pixels of the end counts as "at the end": new messages keep it there. */
const STICK_PX = 48;

/**
 * One conversation: its name and presence, the messages (older ones load as the top scrolls into
 * view, the position kept), who is typing, and the send box. Opening it reads it.
 */
export function MessagePane({ id, state, client }: { id: string; state: ChatState; client: ChatClient }) {
  const now = useNow(10_000);
  const thread = state.threads[id] ?? EMPTY_THREAD;
  const summary = state.list.items.find((s) => s.id === id);
  const details = state.details[id];
  const me = state.me ?? '';
  const scroller = useRef<HTMLDivElement>(null);
  const top = useRef<HTMLDivElement>(null);
  /** The scroll geometry as of the last render, and whether it was at the end then. */
  const last = useRef({ height: 0, top: 0, first: -1, atEnd: true, count: 0 });

  // Once the chat is started for the user (the page's effect runs after this component's).
  const started = state.me !== null;
  useEffect(() => {
    if (started) void client.openThread(id);
  }, [client, id, started]);

  const { messages, pending } = thread;
  const firstSeq = messages[0]?.seq ?? -1;
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el === null) return;
    const before = last.current;
    const count = messages.length + pending.length;
    if (before.first !== -1 && firstSeq < before.first && before.count > 0) {
      // Older messages came in above: the ones on screen stay where they were.
      el.scrollTop = before.top + (el.scrollHeight - before.height);
    } else if (before.atEnd || (pending.length > 0 && count > before.count)) {
      el.scrollTop = el.scrollHeight;
    }
    last.current = { height: el.scrollHeight, top: el.scrollTop, first: firstSeq, atEnd: el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX, count };
  }, [messages, pending, firstSeq]);

  // The top of the history scrolling into view loads the page before it, again while it stays in view.
  const canLoad = thread.loaded && thread.hasMore && !thread.loadingOlder && thread.error === null;
  useEffect(() => {
    const target = top.current;
    if (!canLoad || target === null || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && void client.loadOlder(id), { root: scroller.current, rootMargin: '200px 0px 0px 0px' });
    observer.observe(target);
    return () => observer.disconnect();
  }, [canLoad, client, id, firstSeq]);

  const onScroll = () => {
    const el = scroller.current;
    if (el === null) return;
    last.current = { ...last.current, height: el.scrollHeight, top: el.scrollTop, atEnd: el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX };
  };

  if (state.removed.includes(id)) {
    return (
      <div className="chat-pane chat-none">
        <p>You are no longer a member of this conversation.</p>
      </div>
    );
  }
  const name = summary !== undefined ? conversationName(summary) : details !== undefined ? conversationName({ kind: details.kind, title: details.title, peer: details.members.find((m) => m.user.username !== me)?.user }) : '';
  const peer = summary?.peer ?? (details?.kind === 'direct' ? details.members.find((m) => m.user.username !== me)?.user : undefined);
  const presence = peer === undefined ? undefined : state.presence[peer.username];
  const typists = typistsAt(state.typing[id], Date.now());
  const online = details?.members.filter((m) => m.user.username !== me && state.presence[m.user.username]?.status === 'online').length ?? 0;

  return (
    <div className="chat-pane" aria-labelledby="chat-pane-title">
      <header className="chat-pane-head">
        <Link className="chat-back" href="/chat" aria-label="All conversations">
          ←
        </Link>
        <div>
          <h2 id="chat-pane-title">{name || 'Conversation'}</h2>
          {peer !== undefined ? (
            <p className="chat-presence" data-testid="presence">
              <PresenceDot presence={presence} />
              <span>{presenceText(presence, now) || `@${peer.username}`}</span>
            </p>
          ) : details !== undefined ? (
            <p className="chat-presence muted">
              {details.members.length} members{online > 0 ? `, ${online} online` : ''}
            </p>
          ) : null}
        </div>
      </header>
      <div className="chat-scroll" ref={scroller} onScroll={onScroll} tabIndex={0} role="log" aria-label={`Messages${name ? ` with ${name}` : ''}`} aria-busy={!thread.loaded}>
        <div ref={top} className="chat-top">
          {thread.loadingOlder ? (
            <p className="muted">Loading older messages…</p>
          ) : thread.loaded && thread.hasMore ? (
            <button type="button" className="feed-secondary" onClick={() => void client.loadOlder(id)}>
              Load older messages
            </button>
          ) : thread.loaded ? (
            <p className="muted">The beginning of the conversation.</p>
          ) : null}
        </div>
        {!thread.loaded && thread.error === null && (
          <p className="muted" aria-busy="true">
            Loading…
          </p>
        )}
        {thread.error !== null && (
          <div className="feed-more">
            <p className="error" role="alert">
              {thread.error}
            </p>
            <button type="button" onClick={() => void (thread.loaded ? client.loadOlder(id) : client.openThread(id))}>
              Try again
            </button>
          </div>
        )}
        <ol className="chat-messages" aria-label="Messages">
          {messages.map((m) => (
            <MessageItem key={m.seq} message={m} mine={m.author.username === me} showAuthor={details?.kind !== 'direct'} conversation={details} me={me} client={client} now={now} />
          ))}
          {pending.map((p) => (
            <PendingItem key={p.clientId} pending={p} client={client} />
          ))}
        </ol>
      </div>
      <p className="chat-typing" aria-live="polite">
        {typists.length === 1 ? `${typists[0]!.displayName || typists[0]!.username} is typing…` : typists.length > 1 ? `${typists.length} people are typing…` : ''}
      </p>
      <SendBox conversationId={id} client={client} />
    </div>
  );
}
