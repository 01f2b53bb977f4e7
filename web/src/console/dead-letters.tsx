import { useCallback, useEffect, useState } from 'react';
import { ApiProblem } from '../api.js';
import { Link } from '../router.js';
import { useSession } from '../session.js';

interface DeadLetter {
  id: string;
  key: string | null;
  payload: unknown;
  attempts: number;
  lastError: string;
  failedAt: string;
}

type Access = 'loading' | 'signed-out' | 'not-operator' | 'ok';

/**
 * A topic's dead letters and their replay, for operators (the role on their record): the oldest 20, each
 * replayable alone, or all at once. Others are told what it takes.
 */
export function DeadLetters({ topics, counts }: { topics: string[]; counts: (topic: string) => number }) {
  const { user, call } = useSession();
  const withDead = topics.filter((t) => counts(t) > 0);
  const [topic, setTopic] = useState<string | null>(null);
  const [letters, setLetters] = useState<DeadLetter[]>([]);
  const [access, setAccess] = useState<Access>('loading');
  const [message, setMessage] = useState<string | null>(null);
  const shown = topic !== null && topics.includes(topic) ? topic : (withDead[0] ?? topics[0] ?? null);
  const deadNow = shown === null ? 0 : counts(shown);

  const load = useCallback(async () => {
    if (user === undefined) return;
    if (user === null) return setAccess('signed-out');
    if (shown === null) return;
    try {
      const page = await call<{ items: DeadLetter[] }>('GET', `/api/v1/admin/queues/${encodeURIComponent(shown)}/dead-letters?limit=20`);
      setLetters(page.items);
      setAccess('ok');
    } catch (e) {
      if (e instanceof ApiProblem && e.status === 403) setAccess('not-operator');
      else setMessage(e instanceof Error ? e.message : String(e));
    }
  }, [user, call, shown]);
  // Again whenever the count the metrics report changes.
  useEffect(() => void load(), [load, deadNow]);

  async function replay(ids?: string[]) {
    if (shown === null) return;
    try {
      const { replayed } = await call<{ replayed: number }>('POST', `/api/v1/admin/queues/${encodeURIComponent(shown)}/dead-letters/replay`, ids === undefined ? {} : { ids });
      setMessage(`${replayed} message${replayed === 1 ? '' : 's'} put back on ${shown}.`);
      await load();
    } catch (e) {
      setMessage(e instanceof Error ? e.message : String(e));
    }
  }

  return (
    <div className="console-dead">
      <h3>Dead letters</h3>
      {access === 'signed-out' && (
        <p className="console-note">
          <Link href="/login?next=%2Fconsole">Sign in</Link> as an operator (given the role with <code>blueprint users:role NAME operator</code>) to read and replay them here.
        </p>
      )}
      {access === 'not-operator' && (
        <p className="console-note">
          Your account is not an operator: <code>blueprint users:role NAME operator</code> gives it the role to read and replay dead letters here.
        </p>
      )}
      {access === 'ok' && shown !== null && (
        <>
          <div className="row">
            <label htmlFor="dead-topic">Topic</label>
            <select id="dead-topic" value={shown} onChange={(e) => setTopic(e.target.value)}>
              {topics.map((t) => (
                <option key={t} value={t}>
                  {t} ({counts(t)})
                </option>
              ))}
            </select>
            <button type="button" disabled={letters.length === 0} onClick={() => void replay()}>
              Replay all of {shown}
            </button>
          </div>
          {letters.length === 0 ? (
            <p className="muted">No dead letters on {shown}.</p>
          ) : (
            <div className="console-table-wrap">
              <table className="console-table">
                <caption className="visually-hidden">Dead letters of {shown}, oldest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Failed</th>
                    <th scope="col">Attempts</th>
                    <th scope="col">Last error</th>
                    <th scope="col">Payload</th>
                    <th scope="col">
                      <span className="visually-hidden">Replay</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {letters.map((d) => (
                    <tr key={d.id}>
                      <td>{new Date(d.failedAt).toLocaleString()}</td>
                      <td>{d.attempts}</td>
                      <td className="target">{d.lastError}</td>
                      <td>
                        <code className="target">{JSON.stringify(d.payload).slice(0, 200)}</code>
                      </td>
                      <td>
                        <button type="button" className="secondary" onClick={() => void replay([d.id])} aria-label={`Replay dead letter ${d.id}`}>
                          Replay
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
      {message && (
        <p role="status" className="console-note">
          {message}
        </p>
      )}
    </div>
  );
}
