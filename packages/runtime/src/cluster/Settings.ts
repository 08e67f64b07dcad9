/** The cluster's settings: shards, membership, leases, inbox reading and the node's operator port. */
import * as Setting from "../platform/Setting.js"
import * as PlatformSettings from "../platform/Settings.js"

export const shards = Setting.integer("cluster", "MIRAGE_SHARDS", {
  default: 128,
  description: "Logical shards of the cluster; fixed when the cluster is created"
})
/** This node's id (platform's: traces carry it too). */
export const nodeId = PlatformSettings.nodeId
export const leaseTtl = Setting.millis("cluster", "MIRAGE_LEASE_TTL_MS", {
  default: "4 seconds",
  description: "Shard lease time to live: bounds how long a dead node's shards wait for a new owner"
})
export const memberTtl = Setting.millis("cluster", "MIRAGE_MEMBER_TTL_MS", {
  default: "3 seconds",
  description: "How long a node stays a member without a heartbeat"
})
export const round = Setting.millis("cluster", "MIRAGE_ROUND_MS", {
  default: "500 millis",
  description: "A node's heartbeat and rebalancing round"
})
export const movesPerRound = Setting.integer("cluster", "MIRAGE_MOVES_PER_ROUND", {
  default: 32,
  description: "Shards a node acquires or hands off per round at most"
})
export const readBlock = Setting.millis("cluster", "MIRAGE_READ_BLOCK_MS", {
  default: "200 millis",
  description: "How long one read of the shard inboxes blocks waiting for commands"
})
export const readCount = Setting.integer("cluster", "MIRAGE_READ_COUNT", {
  default: 512,
  description: "Commands read from the shard inboxes at once"
})
export const drain = Setting.millis("cluster", "MIRAGE_DRAIN_MS", {
  default: "500 millis",
  description: "On SIGTERM, how long in-flight tasks may finish before the node releases its shard leases"
})
export const maxDeliveries = Setting.integer("cluster", "MIRAGE_MAX_DELIVERIES", {
  default: 5,
  description: "Deliveries of a command that keeps failing before it moves to its shard's dead letters"
})
export const passivate = Setting.millis("cluster", "MIRAGE_PASSIVATE_MS", {
  default: "1 minute",
  description: "How long an idle scan actor stays in memory before it is passivated"
})
export const reclaimIdle = Setting.millis("cluster", "MIRAGE_RECLAIM_IDLE_MS", {
  default: "30 seconds",
  description: "How long a delivered, unacknowledged command waits before its shard's owner claims it again"
})
export const restartDelay = Setting.millis("cluster", "MIRAGE_RESTART_DELAY_MS", {
  default: "1 second",
  description: "How long a failed actor waits before it is started again"
})
export const metricsPort = Setting.integer("cluster", "MIRAGE_METRICS_PORT", {
  default: 9464,
  description: "Port of a node's /health, /ready, /metrics and /config (0: any free port)"
})
export const readyTimeout = Setting.millis("cluster", "MIRAGE_READY_TIMEOUT_MS", {
  default: "1 second",
  description: "How long /ready waits for each store to answer"
})
