/** The feed's event contract: the only thing of the feed module this module uses (type only, no runtime coupling). */
export type { FeedEvent } from '../feed/index.js';
