export { startGateway, API_SERVICE, type Gateway } from './gateway.runtime.js';
