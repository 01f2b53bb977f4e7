import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { FormAlert, formError, type FormError } from '../form.js';
import { useSession } from '../session.js';
import type { Tweet } from './types.js';

/** The server's limit: 280 code points after NFC normalisation (an emoji counts once). */
const MAX_LENGTH = 280;
const lengthOf = (text: string) => [...text.normalize('NFC')].length;

export interface ComposerProps {
  /** The textarea's label ("What's happening?", "Reply to @ann"). */
  label: string;
  /** The tweet answered: the post is a reply to it. */
  replyTo?: string | undefined;
  /** The submit button's text. */
  submitLabel?: string;
  onPosted: (tweet: Tweet) => void;
  /** Given, the form has a Cancel button and Escape cancels. */
  onCancel?: (() => void) | undefined;
  /** Moves the focus into the textarea when the form appears. */
  autoFocus?: boolean;
  className?: string;
}

/**
 * A tweet's compose box (the home page's, and each tweet's reply box): a labelled textarea with a
 * live character count, Ctrl/Cmd+Enter to post, and the server's errors next to the field.
 */
export function Composer({ label, replyTo, submitLabel = 'Post', onPosted, onCancel, autoFocus = false, className }: ComposerProps) {
  const { call } = useSession();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<FormError | null>(null);
  const box = useRef<HTMLTextAreaElement>(null);
  const id = useId();
  const errorId = `${id}-error`;
  const counterId = `${id}-counter`;
  const left = MAX_LENGTH - lengthOf(text);
  const fieldError = error?.fields['/text'];

  useEffect(() => {
    if (autoFocus) box.current?.focus();
  }, [autoFocus]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const tweet = await call<Tweet>('POST', '/api/v1/tweets', replyTo === undefined ? { text } : { text, replyTo });
      setText('');
      onPosted(tweet);
    } catch (e) {
      const problem = formError(e);
      // The answered tweet was deleted meanwhile: its id means nothing to the reader.
      if (problem.fields['/replyTo'] !== undefined) problem.fields['/replyTo'] = 'This tweet was deleted: it cannot be replied to any more.';
      setError(problem);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      className={className === undefined ? 'feed-compose' : `feed-compose ${className}`}
      onSubmit={submit}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && onCancel !== undefined) {
          e.preventDefault();
          onCancel();
        }
      }}
      noValidate
    >
      <label htmlFor={id}>{label}</label>
      <textarea
        ref={box}
        id={id}
        name="text"
        rows={3}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          // The message was about the text as it was: it goes once the text changes.
          if (error !== null) setError(null);
        }}
        onKeyDown={(e) => {
          // Ctrl/Cmd+Enter posts, as on most social sites.
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) e.currentTarget.form?.requestSubmit();
        }}
        aria-invalid={fieldError ? true : undefined}
        aria-describedby={fieldError ? `${errorId} ${counterId}` : counterId}
      />
      {fieldError && (
        <p className="field-error" id={errorId}>
          {fieldError}
        </p>
      )}
      <div className="feed-compose-foot">
        <span id={counterId} className={left < 0 ? 'feed-counter feed-over' : left <= 20 ? 'feed-counter feed-near' : 'feed-counter'}>
          {left < 0 ? `${-left} ${left === -1 ? 'character' : 'characters'} over the limit of ${MAX_LENGTH}` : `${left} of ${MAX_LENGTH} characters left`}
        </span>
        <span className="feed-compose-buttons">
          {onCancel !== undefined && (
            <button type="button" className="feed-secondary" onClick={onCancel}>
              Cancel
            </button>
          )}
          <button type="submit" disabled={busy}>
            {busy ? 'Posting…' : submitLabel}
          </button>
        </span>
      </div>
      <FormAlert error={error} shown={['/text']} />
    </form>
  );
}
