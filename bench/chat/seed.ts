/**
 * The benchmark's accounts and groups. Accounts go straight into the users table (SQLite file or
 * PostgreSQL schema, after the server applied its migrations): signing up 19,000 users over the
 * API would spend minutes on password hashing, which is not what is measured, and nobody logs in
 * (the load clients mint access tokens with the server's key: bench/feed/clients.ts). Groups are
 * created over the REST API, as a user would.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Minter } from '../feed/clients.js';

/** Seeded user ids are BASE + index: small decimal ids, distinct from the server's snowflakes. */
const BASE = 3_000_000;
export const seededUser = (i: number) => ({ userId: String(BASE + i), username: `chatbench${i}` });

/** Nobody logs in as a seeded user: a hash that matches no password. */
const NO_PASSWORD = '$argon2id$v=19$m=8192,t=1,p=1$bm8tbG9naW4$bm8tbG9naW4tZm9yLWJlbmNoLXVzZXJz';

/** Inserts users [0, count) into the SQLite database file (the server may have it open: WAL). */
export function seedUsersSqlite(filename: string, count: number): void {
  const db = new Database(filename);
  try {
    db.pragma('busy_timeout = 10000');
    const insert = db.prepare('insert or ignore into users (id, username, email, password_hash, created_at) values (?, ?, ?, ?, ?)');
    const now = Date.now();
    db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const u = seededUser(i);
        insert.run(u.userId, u.username, `${u.username}@bench.example`, NO_PASSWORD, now);
      }
    })();
  } finally {
    db.close();
  }
}

/** Inserts users [0, count) into the users table of `schema` (multi-row statements). */
export async function seedUsersPostgres(url: string, schema: string, count: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const now = Date.now();
    for (let from = 0; from < count; from += 1_000) {
      const rows = Array.from({ length: Math.min(1_000, count - from) }, (_, k) => seededUser(from + k));
      const values = rows.map((_, k) => `($${k * 3 + 1}, $${k * 3 + 2}, $${k * 3 + 3}, '${NO_PASSWORD}', ${now})`).join(', ');
      await client.query(`insert into "${schema}".users (id, username, email, password_hash, created_at) values ${values} on conflict do nothing`, rows.flatMap((u) => [u.userId, u.username, `${u.username}@bench.example`]));
    }
  } finally {
    await client.end();
  }
}

export interface Group {
  conversationId: string;
  /** Member indexes (seededUser), the owner first. */
  members: number[];
  /** The conversation's last seq once created: deliveries are expected after it. */
  seqAtStart: number;
}

/**
 * Creates `groups` groups of `size` members over the REST API: group g holds users
 * [g × size, (g + 1) × size), created by its first member.
 */
export async function createGroups(base: string, minter: Minter, groups: number, size: number): Promise<Group[]> {
  const out: Group[] = [];
  for (let g = 0; g < groups; g++) {
    const members = Array.from({ length: size }, (_, k) => g * size + k);
    const owner = seededUser(members[0]!);
    const token = await minter.mint(owner.userId, owner.username);
    const res = await fetch(`${base}/api/v1/conversations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'group', title: `bench group ${g}`, members: members.slice(1).map((i) => seededUser(i).username) }),
    });
    const body = (await res.json()) as { id?: string; lastSeq?: number };
    if (res.status !== 201 || body.id === undefined) throw new Error(`creating group ${g}: ${res.status} ${JSON.stringify(body)}`);
    out.push({ conversationId: body.id, members, seqAtStart: body.lastSeq ?? 0 });
  }
  return out;
}
