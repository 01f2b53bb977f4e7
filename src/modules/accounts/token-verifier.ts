/*
 * The accounts module's second public face, for the gateway: checking access tokens at the edge
 * needs the verifier and nothing else of the module (no database, no routes). The gateway imports
 * this file only (.dependency-cruiser.cjs: gateway-only-token-verifier).
 */
export { AccessTokenVerifier } from './access-tokens.js';
export { isApiKeyLike } from './secret-token.js';
export type { Principal } from './accounts.model.js';
