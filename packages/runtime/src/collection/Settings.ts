/** The collection's settings: where sources are, how hard and how politely they are asked, keys and proxies. */
import * as Setting from "../platform/Setting.js"

export const moduleEndpoints = Setting.string("collection", "MIRAGE_MODULE_ENDPOINTS", {
  default: "{}",
  shown: "real sources",
  description: "JSON object of source id → base URL, over the real sources' URLs"
})
export const dnsServers = Setting.string("collection", "MIRAGE_DNS_SERVERS", {
  default: "",
  shown: "system resolvers",
  description:
    "Comma-separated DNS resolvers (ip or ip:port) for DNS modules and the scope guard; in the sandbox required and loopback only"
})
export const moduleOverrides = Setting.string("collection", "MIRAGE_MODULE_OVERRIDES", {
  default: "{}",
  shown: "none",
  description: "JSON of module id → settings forced over every scan's configuration of that module"
})
export const sourceSettings = Setting.string("collection", "MIRAGE_SOURCE_SETTINGS", {
  default: "{}",
  shown: "modules' own",
  description:
    "JSON of source id → { rate_limit, cache_ttl_seconds, retries, retry_base_ms }; `dns` is every DNS lookup's (50/s, burst 100)"
})
export const sandbox = Setting.boolean("collection", "MIRAGE_SANDBOX", {
  default: false,
  description: "Modules may connect to 127.0.0.0/8 and ::1 only, and resolve names only through MIRAGE_DNS_SERVERS"
})
export const allowNetworks = Setting.string("collection", "MIRAGE_ALLOW_NETWORKS", {
  default: "",
  description: "Comma-separated CIDRs modules and scan webhooks may contact although private or reserved"
})
export const taskRetries = Setting.integer("collection", "MIRAGE_TASK_RETRIES", {
  default: 3,
  description: "Tries of a failed source request after the first, unless the source says otherwise"
})
export const taskRetryBase = Setting.millis("collection", "MIRAGE_TASK_RETRY_BASE_MS", {
  default: "200 millis",
  description: "First delay before a failed source request is tried again (doubling, with jitter)"
})
export const taskRetryMax = Setting.millis("collection", "MIRAGE_TASK_RETRY_MAX_MS", {
  default: "30 seconds",
  description: "Longest delay between two tries of a source request"
})
export const maxRetryAfter = Setting.millis("collection", "MIRAGE_MAX_RETRY_AFTER_MS", {
  default: "1 minute",
  description: "A 429 asking to wait longer than this ends the task as rate_limited"
})
export const cacheTtlSeconds = Setting.number("collection", "MIRAGE_CACHE_TTL_SECONDS", {
  default: 3600,
  description:
    "How long a source's 2xx answer is kept in the request cache, and a whole list (a catalog, a feed) in each node's memory, unless the source says otherwise"
})
export const keyParkMs = Setting.millis("collection", "MIRAGE_KEY_PARK_MS", {
  default: "1 hour",
  description: "How long a pool key the source refused (401/403) is left out, on every node, before it is tried again"
})
export const nodeConcurrency = Setting.integer("collection", "MIRAGE_NODE_CONCURRENCY", {
  default: 64,
  description: "Tasks a node runs at once, over all its scans"
})
export const taskSlotLease = Setting.millis("collection", "MIRAGE_TASK_SLOT_LEASE_MS", {
  default: "30 seconds",
  description: "How long a task slot outlives a node that stopped renewing it"
})
export const taskSlotPoll = Setting.millis("collection", "MIRAGE_TASK_SLOT_POLL_MS", {
  default: "200 millis",
  description: "How often a task waiting for its organization's slot tries again"
})
export const proxies = Setting.string("collection", "MIRAGE_PROXIES", {
  default: "",
  description: "Comma-separated forward proxy URLs (http://user:pass@host:port) for modules that may use them"
})
export const proxyCooldown = Setting.millis("collection", "MIRAGE_PROXY_COOLDOWN_MS", {
  default: "1 minute",
  description: "How long a failing proxy is out of service"
})
export const proxyCheckUrl = Setting.string("collection", "MIRAGE_PROXY_CHECK_URL", {
  default: "https://www.google.com/generate_204",
  description: "URL asked through each proxy to check it"
})
export const proxyCheckInterval = Setting.millis("collection", "MIRAGE_PROXY_CHECK_INTERVAL_MS", {
  default: "30 seconds",
  description: "How often each proxy is checked"
})
export const proxyCheckTimeout = Setting.millis("collection", "MIRAGE_PROXY_CHECK_TIMEOUT_MS", {
  default: "5 seconds",
  description: "How long a proxy check may take"
})
export const secretsFile = Setting.optional("collection", "MIRAGE_SECRETS_FILE", {
  description: "JSON file of source id → API key(s), instead of the environment"
})
export const sourceKeys = Setting.family("collection", "MIRAGE_KEY_<SOURCE>", {
  secret: true,
  description: "API keys of a data source (comma-separated: a pool taken in turn), e.g. MIRAGE_KEY_SHODAN"
})
