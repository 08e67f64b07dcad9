/**
 * The cluster: how scans are spread over nodes and kept on exactly one.
 *
 * Nodes heartbeat into the membership (Membership); rendezvous hashing says which live node should own each of
 * the fixed number of shards (Assignment, Shards); a node takes a shard's lease with a fencing epoch
 * (ShardLeases: where a scan's lease is taken, renewed, self-fenced and released) and runs the actors of the shards
 * it holds (ShardHost), fed by one Redis stream per shard (ShardInbox). Commands are answered on the sender's channel
 * (Replies). Node is the loop that ties them together; NodeEndpoints and Readiness are its operator port
 * (`/health`, `/ready`, `/metrics`).
 * Each port (`X.ts`) has its adapters beside it (`X/Redis.ts`, `X/Memory.ts`).
 */
export * as Assignment from "./Assignment.js"
export * as Membership from "./Membership.js"
export * as Node from "./Node.js"
export * as NodeEndpoints from "./NodeEndpoints.js"
export * as Readiness from "./Readiness.js"
export * as Replies from "./Replies.js"
export * as ShardHost from "./ShardHost.js"
export * as ShardInbox from "./ShardInbox.js"
export * as ShardLeases from "./ShardLeases.js"
export * as Shards from "./Shards.js"
