export { buildServer, type ServerOptions } from './app.js';
export { type EventJson, eventJson } from './event-json.js';
export {
  type IdempotencyKeys,
  type IdempotencyRecord,
  memoryIdempotencyKeys,
  postgresIdempotencyKeys,
  type SqlPool,
  type StoredResponse,
  sqliteIdempotencyKeys,
} from './idempotency.js';
export { type LiveFeedOptions, liveFeedRoutes } from './live-feed.js';
export { logRoutes } from './log-routes.js';
export { type OpenApiDocument, openApiDocument } from './openapi.js';
export {
  type HttpErrorCode,
  HttpProblem,
  type Problem,
  type ProblemCode,
  preconditionFailed,
  problemOf,
  statusByCode,
  titleOf,
  toProblem,
} from './problems.js';
export { projectionJson, projectionRoutes } from './projection-routes.js';
export type {
  Access,
  Caller,
  JsonRoute,
  ResponseDoc,
  RouteInput,
  RouteModule,
  RouteReply,
  Routes,
  ServerContext,
  StreamingRoute,
} from './routes.js';
export { problemSchema, recordedEventSchema } from './schemas.js';
export {
  type AccessToken,
  adminTokenFile,
  loadOrCreateAdminToken,
  parseTokens,
  type Role,
  roleAllows,
  TokenTable,
} from './tokens.js';
