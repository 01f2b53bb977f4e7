import type { FastifyInstance } from 'fastify';
import type { Accounts } from '../modules/accounts/index.js';

/**
 * Resolves `request.principal` from the Authorization header before anything else looks at the
 * request (the rate limiter keys by user, routes check ownership). A request without a Bearer
 * credential costs one property read: no promise, since most traffic (redirects) is anonymous.
 */
export function registerAuthentication(app: FastifyInstance, accounts: Pick<Accounts, 'authenticate'>): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', (request, _reply, done) => {
    const authorization = request.headers.authorization;
    // Other schemes (Basic from a proxy in front, say) are not ours to judge.
    if (authorization === undefined || !/^bearer /i.test(authorization)) {
      done();
      return;
    }
    accounts.authenticate(authorization).then(
      (principal) => {
        request.principal = principal;
        done();
      },
      // A route with its own credentials (/metrics) answers for a token that is not an access token.
      (error: Error) => done(request.routeOptions.config.ownCredentials === true ? undefined : error),
    );
  });
}
