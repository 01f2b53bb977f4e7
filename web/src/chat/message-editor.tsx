import { useEffect, useId, useRef, useState } from 'react';
import { lengthOf } from './send-box.js';
import { MAX_TEXT } from './types.js';

/** Edits a message in place: Enter saves, Shift+Enter is a new line, Escape cancels. */
export function MessageEditor({ text, onSave, onCancel }: { text: string; onSave: (text: string) => Promise<string | null>; onCancel: () => void }) {
  const [draft, setDraft] = useState(text);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const box = useRef<HTMLTextAreaElement>(null);
  const id = useId();
  const tooLong = lengthOf(draft) > MAX_TEXT;

  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    el.focus();
    el.setSelectionRange(el.value.length, el.value.length);
  }, []);

  async function save() {
    const trimmed = draft.trim();
    if (trimmed === '' || tooLong || busy) return;
    if (trimmed === text) return onCancel();
    setBusy(true);
    setError(null);
    const failed = await onSave(trimmed);
    setBusy(false);
    setError(failed);
  }

  return (
    <form
      className="chat-edit"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <label htmlFor={id} className="feed-sr">
        Edit message
      </label>
      <textarea
        ref={box}
        id={id}
        rows={2}
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.preventDefault();
            onCancel();
          } else if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            void save();
          }
        }}
        aria-invalid={tooLong || error !== null ? true : undefined}
      />
      {tooLong && <p className="field-error">At most {MAX_TEXT.toLocaleString()} characters.</p>}
      {error !== null && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <span className="feed-compose-buttons">
        <button type="submit" disabled={busy || tooLong || draft.trim() === ''}>
          {busy ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="feed-secondary" onClick={onCancel}>
          Cancel
        </button>
      </span>
    </form>
  );
}
