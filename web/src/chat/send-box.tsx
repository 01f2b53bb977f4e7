import { useId, useRef, useState } from 'react';
import type { ChatClient } from './client.js';
import { MAX_TEXT } from './types.js';

/** Code points, as the server counts them (an emoji counts once). */
export const lengthOf = (text: string) => [...text].length;

/**
 * The box under a conversation: Enter sends (Shift+Enter is a new line), typing tells the others
 * (throttled by the client), and a text past the limit says so instead of being sent. It works
 * before the history is in: the message waits as pending like any other.
 */
export function SendBox({ conversationId, client }: { conversationId: string; client: ChatClient }) {
  const [text, setText] = useState('');
  const box = useRef<HTMLTextAreaElement>(null);
  const id = useId();
  const counterId = `${id}-counter`;
  const length = lengthOf(text);
  const over = length > MAX_TEXT;

  function send() {
    const trimmed = text.trim();
    if (trimmed === '' || over) return;
    client.send(conversationId, trimmed);
    setText('');
    box.current?.focus();
  }

  return (
    <form
      className="chat-send"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <label htmlFor={id} className="feed-sr">
        Message
      </label>
      <textarea
        ref={box}
        id={id}
        name="text"
        rows={1}
        placeholder="Write a message…"
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          if (e.target.value.trim() !== '') client.typing(conversationId);
        }}
        onKeyDown={(e) => {
          // Enter sends, as in every chat; not while an input method is composing a character.
          if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            send();
          }
        }}
        aria-invalid={over ? true : undefined}
        aria-describedby={over ? counterId : undefined}
      />
      <button type="submit" disabled={over || text.trim() === ''}>
        Send
      </button>
      {length > MAX_TEXT - 200 && (
        <p id={counterId} className={over ? 'field-error chat-counter' : 'muted chat-counter'}>
          {over ? `${(length - MAX_TEXT).toLocaleString()} characters over the limit of ${MAX_TEXT.toLocaleString()}` : `${(MAX_TEXT - length).toLocaleString()} characters left`}
        </p>
      )}
    </form>
  );
}
