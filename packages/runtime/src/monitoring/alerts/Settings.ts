/**
 * The settings of alert deliveries: the outbox's retries and polling, which channel addresses are allowed, the key
 * sealing channels' secrets.
 */
import { Config, Duration } from "effect"
import * as Setting from "../../platform/Setting.js"

export const deliveryAttempts = Setting.integer("scans", "MIRAGE_ALERT_DELIVERY_ATTEMPTS", {
  default: 8,
  description: "Attempts of an alert's delivery to a channel before it is given up (failed, with its reason)"
})
export const deliveryRetryBase = Setting.millis("scans", "MIRAGE_ALERT_RETRY_BASE_MS", {
  default: "2 seconds",
  description: "First delay before a failed alert delivery is tried again (doubling)"
})
export const deliveryRetryMax = Setting.millis("scans", "MIRAGE_ALERT_RETRY_MAX_MS", {
  default: "5 minutes",
  description: "Longest delay between two attempts of an alert delivery"
})
export const outboxPoll = Setting.millis("scans", "MIRAGE_ALERT_OUTBOX_POLL_MS", {
  default: "5 seconds",
  description: "How often a node looks for alert deliveries to make (besides right after raising alerts)"
})
export const deliveryConcurrency = Setting.integer("scans", "MIRAGE_ALERT_DELIVERY_CONCURRENCY", {
  default: 8,
  description: "Alert deliveries a node makes at once"
})

export const channelHttp = Setting.boolean("scans", "MIRAGE_ALERT_CHANNEL_HTTP", {
  default: false,
  description: "Alert channels may use plain http:// URLs to any allowed address (otherwise only to loopback)"
})

export const channelKey = Setting.optionalSecret("scans", "MIRAGE_CHANNEL_KEY", {
  description: "Key (32 bytes, base64 or hex) sealing alert channels' secrets at rest (AES-256-GCM); the same on " +
    "every gateway and node. Without it, one is generated once into MIRAGE_CHANNEL_KEY_FILE"
})
export const channelKeyFile = Setting.string("scans", "MIRAGE_CHANNEL_KEY_FILE", {
  default: ".mirage/channel.key",
  description: "Where the generated channel key is kept when MIRAGE_CHANNEL_KEY is not set (development, tests)"
})

export interface DeliverySettings {
  /** Attempts per delivery, at least 1. */
  readonly attempts: number
  readonly baseMs: number
  readonly maxDelayMs: number
  readonly pollMs: number
  readonly concurrency: number
}

export const DeliveryConfig: Config.Config<DeliverySettings> = Config.all({
  attempts: Config.map(deliveryAttempts, (n) => Math.max(1, n)),
  baseMs: Config.map(deliveryRetryBase, Duration.toMillis),
  maxDelayMs: Config.map(deliveryRetryMax, Duration.toMillis),
  pollMs: Config.map(outboxPoll, Duration.toMillis),
  concurrency: Config.map(deliveryConcurrency, (n) => Math.max(1, n))
})
