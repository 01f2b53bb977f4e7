import { useId, useState, type FormEvent, type InputHTMLAttributes } from 'react';
import { ApiProblem, ConnectionLost } from './api.js';

/** What a failed submit shows: a message for the form, and messages per field (`/url`). */
export interface FormError {
  message: string;
  fields: Record<string, string>;
}

/** The error of a failed API call, as a form shows it. */
export function formError(error: unknown): FormError {
  if (error instanceof ApiProblem) return { message: error.message, fields: error.fields };
  if (error instanceof ConnectionLost) return { message: error.message, fields: {} };
  return { message: 'Something went wrong; please try again.', fields: {} };
}

/** A labelled input whose error, if any, is next to it and tied to it for screen readers. */
export function Field({ label, error, ...input }: InputHTMLAttributes<HTMLInputElement> & { label: string; error?: string | undefined }) {
  const id = useId();
  const errorId = `${id}-error`;
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <input id={id} {...input} aria-invalid={error ? true : undefined} aria-describedby={error ? errorId : undefined} />
      {error && (
        <p className="field-error" id={errorId}>
          {error}
        </p>
      )}
    </>
  );
}

/** The form-level message of an error that names no field (or every message, when none is shown by a field). */
export function FormAlert({ error, shown = [] }: { error: FormError | null; shown?: string[] }) {
  if (error === null) return null;
  const unshown = Object.keys(error.fields).filter((f) => !shown.includes(f));
  if (Object.keys(error.fields).length > 0 && unshown.length === 0) return null;
  return (
    <p className="error" role="alert">
      {unshown.length > 0 ? unshown.map((f) => error.fields[f]).join(' ') : error.message}
    </p>
  );
}

/**
 * A form's submit: prevents the page load, marks it busy, and keeps the error of a failed
 * `action` for the fields and the alert (cleared on the next try).
 */
export function useSubmit(action: () => Promise<void>): { busy: boolean; error: FormError | null; submit: (e: FormEvent) => Promise<void> } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<FormError | null>(null);
  return {
    busy,
    error,
    async submit(e: FormEvent) {
      e.preventDefault();
      setBusy(true);
      setError(null);
      try {
        await action();
      } catch (err) {
        setError(formError(err));
      } finally {
        setBusy(false);
      }
    },
  };
}
