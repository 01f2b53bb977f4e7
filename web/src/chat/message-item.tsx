import { useState } from 'react';
import { TimeAgo } from '../feed/tweet.js';
import type { ChatClient } from './client.js';
import { MessageEditor } from './message-editor.js';
import { receiptOf, type Pending, type Receipt } from './state.js';
import type { Conversation, Message } from './types.js';

const RECEIPT: Record<Receipt, { mark: string; label: string }> = {
  sent: { mark: '✓', label: 'Sent' },
  delivered: { mark: '✓', label: 'Delivered' },
  read: { mark: '✓✓', label: 'Read' },
};

/** "Read"; in a group, how many of the others read it too ("Delivered, read by 1 of 2"). */
function receiptLabel({ state, read, of }: { state: Receipt; read: number; of: number }): string {
  const label = RECEIPT[state].label;
  return of > 1 && state !== 'read' && read > 0 ? `${label}, read by ${read} of ${of}` : label;
}

/**
 * One message: author (in groups), text — or "message deleted" for a tombstone — time, "edited",
 * and on my own the receipt (✓ delivered, ✓✓ read) with Edit and Delete.
 */
export function MessageItem({
  message: m,
  mine,
  showAuthor,
  conversation,
  me,
  client,
  now,
}: {
  message: Message;
  mine: boolean;
  showAuthor: boolean;
  conversation: Conversation | undefined;
  me: string;
  client: ChatClient;
  now: number;
}) {
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const receipt = mine && !m.deleted ? receiptOf(m, conversation, me) : null;

  async function remove() {
    setBusy(true);
    setError(null);
    const failed = await client.remove(m.conversationId, m.seq);
    setBusy(false);
    setConfirming(false);
    setError(failed);
  }

  return (
    <li className={mine ? 'chat-msg chat-mine' : 'chat-msg'} data-seq={m.seq}>
      <div className="chat-bubble">
        {showAuthor && !mine && <p className="chat-author">{m.author.displayName || m.author.username}</p>}
        {m.deleted ? (
          <p className="chat-text chat-deleted">message deleted</p>
        ) : editing ? (
          <MessageEditor
            text={m.text}
            onCancel={() => setEditing(false)}
            onSave={async (text) => {
              const failed = await client.edit(m.conversationId, m.seq, text);
              if (failed === null) setEditing(false);
              return failed;
            }}
          />
        ) : (
          <p className="chat-text">{m.text}</p>
        )}
        <p className="chat-meta">
          <TimeAgo iso={m.createdAt} now={now} />
          {m.editedAt !== null && !m.deleted && <span className="chat-edited">edited</span>}
          {receipt !== null && (
            <span className={`chat-receipt chat-receipt-${receipt.state}`} title={receiptLabel(receipt)} data-receipt={receipt.state} data-read={receipt.read}>
              <span aria-hidden="true">{RECEIPT[receipt.state].mark}</span>
              <span className="feed-sr">{receiptLabel(receipt)}</span>
            </span>
          )}
        </p>
      </div>
      {mine && !m.deleted && !editing && (
        <div className="chat-actions">
          {confirming ? (
            <span className="feed-confirm" role="group" aria-label="Delete this message?">
              <span>Delete this message?</span>
              <button type="button" className="feed-action feed-danger" disabled={busy} onClick={() => void remove()} autoFocus>
                Yes, delete
              </button>
              <button type="button" className="feed-action" disabled={busy} onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </span>
          ) : (
            <>
              <button type="button" className="feed-action" onClick={() => setEditing(true)}>
                Edit
              </button>
              <button type="button" className="feed-action feed-danger" onClick={() => setConfirming(true)}>
                Delete
              </button>
            </>
          )}
        </div>
      )}
      {error !== null && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}

/** A message of mine on its way ("Sending…"), or refused, with Retry and Discard. */
export function PendingItem({ pending: p, client }: { pending: Pending; client: ChatClient }) {
  return (
    <li className="chat-msg chat-mine chat-pending" data-pending={p.state}>
      <div className="chat-bubble">
        <p className="chat-text">{p.text}</p>
        <p className="chat-meta">{p.state === 'sending' ? <span className="chat-sending">Sending…</span> : <span className="error">Not sent: {p.error ?? 'it was refused.'}</span>}</p>
      </div>
      {p.state === 'failed' && (
        <div className="chat-actions">
          <button type="button" className="feed-action" onClick={() => client.retry(p.conversationId, p.clientId)}>
            Retry
          </button>
          <button type="button" className="feed-action feed-danger" onClick={() => client.discard(p.conversationId, p.clientId)}>
            Discard
          </button>
        </div>
      )}
    </li>
  );
}
