import type { Selectable, Transaction } from 'kysely';
import type { SqlDatabase } from '../../platform/sql/index.js';
import type { AuthorizedApp, OAuthClient, OAuthCode, OAuthGrant } from './oauth.model.js';
import type { OAuthClientsTable, OAuthGrantsTable, OAuthTables } from './oauth.tables.js';

type Trx = Transaction<OAuthTables>;
const num = (v: number | null): number | null => (v === null ? null : Number(v));

function toClient(row: Selectable<OAuthClientsTable>): OAuthClient {
  return {
    id: row.id,
    clientId: row.client_id,
    secretHash: row.secret_hash,
    name: row.name,
    website: row.website,
    redirectUris: row.redirect_uris.split('\n'),
    scopes: row.scopes,
    createdAt: Number(row.created_at),
  };
}

function toGrant(row: Selectable<OAuthGrantsTable>): OAuthGrant {
  return {
    id: row.id,
    clientId: row.client_id,
    userId: row.user_id,
    username: row.username,
    scopes: row.scopes,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    revokedAt: num(row.revoked_at),
  };
}

/** An access token row with what authentication needs. */
export interface PresentedAccessToken {
  grant: OAuthGrant;
  /** The public client_id. */
  clientId: string;
  /** The token's own scopes (within the grant's). */
  scopes: string;
  expiresAt: number | null;
  revokedAt: number | null;
}

/** The only code that queries the OAuth tables. Portable SQL (SQLite and PostgreSQL). */
export class OAuthRepository {
  readonly #sql: SqlDatabase<OAuthTables>;

  constructor(sql: SqlDatabase<OAuthTables>) {
    this.#sql = sql;
  }

  /** Runs `work` in one transaction. */
  transaction<T>(work: (trx: Trx) => Promise<T>): Promise<T> {
    return this.#sql.db.transaction().execute(work);
  }

  async insertClient(client: OAuthClient): Promise<void> {
    await this.#sql.db
      .insertInto('oauth_clients')
      .values({
        id: client.id,
        client_id: client.clientId,
        secret_hash: client.secretHash,
        name: client.name,
        website: client.website,
        redirect_uris: client.redirectUris.join('\n'),
        scopes: client.scopes,
        created_at: client.createdAt,
      })
      .execute();
  }

  async findClient(clientId: string): Promise<OAuthClient | null> {
    const row = await this.#sql.db.selectFrom('oauth_clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();
    return row === undefined ? null : toClient(row);
  }

  async insertCode(hash: string, code: OAuthCode): Promise<void> {
    await this.#sql.db
      .insertInto('oauth_codes')
      .values({
        code_hash: hash,
        client_id: code.clientId,
        user_id: code.userId,
        username: code.username,
        redirect_uri: code.redirectUri,
        scopes: code.scopes,
        code_challenge: code.codeChallenge,
        created_at: code.createdAt,
        expires_at: code.expiresAt,
        used_at: null,
        grant_id: null,
      })
      .execute();
  }

  async findCode(trx: Trx, hash: string): Promise<OAuthCode | null> {
    const row = await trx.selectFrom('oauth_codes').selectAll().where('code_hash', '=', hash).executeTakeFirst();
    if (row === undefined) return null;
    return {
      clientId: row.client_id,
      userId: row.user_id,
      username: row.username,
      redirectUri: row.redirect_uri,
      scopes: row.scopes,
      codeChallenge: row.code_challenge,
      createdAt: Number(row.created_at),
      expiresAt: Number(row.expires_at),
      usedAt: num(row.used_at),
      grantId: row.grant_id,
    };
  }

  /** Marks a code used if it is not already: true for exactly one of any number of concurrent callers. */
  async useCode(trx: Trx, hash: string, at: number): Promise<boolean> {
    const result = await trx.updateTable('oauth_codes').set({ used_at: at }).where('code_hash', '=', hash).where('used_at', 'is', null).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Records the grant a code's first exchange created, so that a replay can revoke it. */
  async setCodeGrant(trx: Trx, hash: string, grantId: string): Promise<void> {
    await trx.updateTable('oauth_codes').set({ grant_id: grantId }).where('code_hash', '=', hash).execute();
  }

  async insertGrant(trx: Trx, grant: OAuthGrant): Promise<void> {
    await trx
      .insertInto('oauth_grants')
      .values({
        id: grant.id,
        client_id: grant.clientId,
        user_id: grant.userId,
        username: grant.username,
        scopes: grant.scopes,
        created_at: grant.createdAt,
        expires_at: grant.expiresAt,
        revoked_at: null,
        revoked_reason: null,
      })
      .execute();
  }

  async findGrant(id: string): Promise<OAuthGrant | null> {
    const row = await this.#sql.db.selectFrom('oauth_grants').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? null : toGrant(row);
  }

  async insertAccessToken(trx: Trx, token: { hash: string; grantId: string; scopes: string; createdAt: number; expiresAt: number | null }): Promise<void> {
    await trx
      .insertInto('oauth_access_tokens')
      .values({ token_hash: token.hash, grant_id: token.grantId, scopes: token.scopes, created_at: token.createdAt, expires_at: token.expiresAt, revoked_at: null })
      .execute();
  }

  async insertRefreshToken(trx: Trx, token: { hash: string; grantId: string; createdAt: number }): Promise<void> {
    await trx.insertInto('oauth_refresh_tokens').values({ token_hash: token.hash, grant_id: token.grantId, created_at: token.createdAt, spent_at: null }).execute();
  }

  /** An access token with its grant and client, for authentication (one indexed join). */
  async findAccessToken(hash: string): Promise<PresentedAccessToken | null> {
    const row = await this.#sql.db
      .selectFrom('oauth_access_tokens as t')
      .innerJoin('oauth_grants as g', 'g.id', 't.grant_id')
      .innerJoin('oauth_clients as c', 'c.id', 'g.client_id')
      .selectAll('g')
      .select(['t.scopes as token_scopes', 't.expires_at as token_expires_at', 't.revoked_at as token_revoked_at', 'c.client_id as public_client_id'])
      .where('t.token_hash', '=', hash)
      .executeTakeFirst();
    if (row === undefined) return null;
    return { grant: toGrant(row), clientId: row.public_client_id, scopes: row.token_scopes, expiresAt: num(row.token_expires_at), revokedAt: num(row.token_revoked_at) };
  }

  /** A refresh token's grant and whether it was spent. */
  async findRefreshToken(trx: Trx, hash: string): Promise<{ grant: OAuthGrant; spentAt: number | null } | null> {
    const row = await trx
      .selectFrom('oauth_refresh_tokens as t')
      .innerJoin('oauth_grants as g', 'g.id', 't.grant_id')
      .selectAll('g')
      .select(['t.spent_at'])
      .where('t.token_hash', '=', hash)
      .executeTakeFirst();
    return row === undefined ? null : { grant: toGrant(row), spentAt: num(row.spent_at) };
  }

  /** Spends a refresh token if it is not already: true for exactly one concurrent caller. */
  async spendRefreshToken(trx: Trx, hash: string, at: number): Promise<boolean> {
    const result = await trx.updateTable('oauth_refresh_tokens').set({ spent_at: at }).where('token_hash', '=', hash).where('spent_at', 'is', null).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Ends the access tokens of a grant issued before a refresh (the refreshed client holds a new one). */
  async revokeAccessTokens(trx: Trx, grantId: string, at: number): Promise<void> {
    await trx.updateTable('oauth_access_tokens').set({ revoked_at: at }).where('grant_id', '=', grantId).where('revoked_at', 'is', null).execute();
  }

  /** Revokes a grant (and so every token under it); false when it was already revoked or does not exist. */
  async revokeGrant(trx: Trx | undefined, grantId: string, at: number, reason: string, userId?: string): Promise<boolean> {
    let query = (trx ?? this.#sql.db).updateTable('oauth_grants').set({ revoked_at: at, revoked_reason: reason }).where('id', '=', grantId).where('revoked_at', 'is', null);
    if (userId !== undefined) query = query.where('user_id', '=', userId);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** The live grants a user gave, newest first, with their apps. */
  async listAuthorized(userId: string, now: number): Promise<AuthorizedApp[]> {
    const rows = await this.#sql.db
      .selectFrom('oauth_grants as g')
      .innerJoin('oauth_clients as c', 'c.id', 'g.client_id')
      .select(['g.id', 'g.scopes', 'g.created_at', 'c.name', 'c.website'])
      .where('g.user_id', '=', userId)
      .where('g.revoked_at', 'is', null)
      .where('g.expires_at', '>', now)
      .limit(500)
      .execute();
    // Ids are snowflakes as text: ordered as numbers here, on every engine.
    rows.sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1));
    return rows.map((r) => ({ id: r.id, name: r.name, website: r.website, scopes: r.scopes, createdAt: Number(r.created_at) }));
  }
}
