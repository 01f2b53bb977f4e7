import { useId, useState } from 'react';
import { Field, FormAlert, useSubmit } from '../form.js';
import { navigate } from '../router.js';
import type { ChatClient } from './client.js';

/** Usernames as typed: separated by commas or spaces, an `@` in front allowed, each once. */
export function usernames(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).map((u) => u.replace(/^@/, '').trim().toLowerCase()).filter((u) => u !== ''))];
}

/**
 * "New conversation": a direct one with a username (the existing one if there is one: one per
 * pair), or a group with a title and usernames. Opens the conversation once created.
 */
export function NewConversation({ client }: { client: ChatClient }) {
  const [open, setOpen] = useState(false);
  const [kind, setKind] = useState<'direct' | 'group'>('direct');
  const [peer, setPeer] = useState('');
  const [title, setTitle] = useState('');
  const [members, setMembers] = useState('');
  const formId = useId();
  const { busy, error, submit } = useSubmit(async () => {
    const id = kind === 'direct' ? await client.createDirect(peer.trim().replace(/^@/, '')) : await client.createGroup(title.trim(), usernames(members));
    setOpen(false);
    setPeer('');
    setTitle('');
    setMembers('');
    navigate(`/chat/${encodeURIComponent(id)}`);
  });
  if (!open) {
    return (
      <button type="button" className="chat-new-button" aria-expanded="false" aria-controls={formId} onClick={() => setOpen(true)}>
        New conversation
      </button>
    );
  }
  return (
    <form id={formId} className="chat-new" aria-label="New conversation" onSubmit={submit} noValidate>
      <fieldset className="chat-kind">
        <legend>Kind</legend>
        <label>
          <input type="radio" name="kind" value="direct" checked={kind === 'direct'} onChange={() => setKind('direct')} /> Direct
        </label>
        <label>
          <input type="radio" name="kind" value="group" checked={kind === 'group'} onChange={() => setKind('group')} /> Group
        </label>
      </fieldset>
      {kind === 'direct' ? (
        <Field label="Username" name="with" autoComplete="off" value={peer} onChange={(e) => setPeer(e.target.value)} error={error?.fields['/with']} required autoFocus />
      ) : (
        <>
          <Field label="Title" name="title" maxLength={100} value={title} onChange={(e) => setTitle(e.target.value)} error={error?.fields['/title']} required autoFocus />
          <Field label="Members (usernames, separated by commas)" name="members" autoComplete="off" value={members} onChange={(e) => setMembers(e.target.value)} error={error?.fields['/members']} />
        </>
      )}
      <span className="feed-compose-buttons">
        <button type="submit" disabled={busy}>
          {busy ? 'Starting…' : 'Start'}
        </button>
        <button type="button" className="feed-secondary" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </span>
      <FormAlert error={error} shown={['/with', '/title', '/members']} />
    </form>
  );
}
