/**
 * The development tools' settings: the local services script (`infra/services.sh`, which reads them in shell and is
 * described here), the bench and the console's browser tests. No Mirage process reads them.
 */
import * as Setting from "@mirage/runtime/platform/Setting"

export const servicesTimeout = Setting.seconds("development", "MIRAGE_SERVICES_TIMEOUT", {
  default: "60 seconds",
  description: "How long `npm run services` (infra/services.sh) waits for each local service to answer"
})
export const ferretdbHandler = Setting.literal("development", "MIRAGE_FERRETDB_HANDLER", ["postgresql", "sqlite"], {
  default: "postgresql",
  description: "The backend of the FerretDB that infra/services.sh starts: its database \"ferretdb\" on PostgreSQL, " +
    "or files in .mirage/ferretdb/sqlite"
})
export const servicesLocked = Setting.boolean("development", "MIRAGE_SERVICES_LOCKED", {
  default: false,
  description: "Set by infra/services.sh itself when it runs again under its lock file, so that runs at the same " +
    "time take turns; set by hand, the script runs without the lock"
})
export const chromium = Setting.optional("development", "MIRAGE_CHROMIUM", {
  shown: "chromium or chromium-browser on the PATH, else /usr/bin/chromium",
  description: "The Chromium executable the console's browser tests and the console bench drive"
})
export const benchApiSeconds = Setting.seconds("development", "MIRAGE_BENCH_API_SECONDS", {
  default: "15 seconds",
  description: "How long the bench's API section sends reads at its fixed rate"
})
export const benchGatewayWorkers = Setting.integer("development", "MIRAGE_BENCH_GATEWAY_WORKERS", {
  default: 0,
  description:
    "Workers of the second gateway the bench's API section saturates after the first, one process (MIRAGE_GATEWAY_WORKERS); 0: one per core, 1: no second gateway"
})
export const benchHeapSnapshot = Setting.boolean("development", "MIRAGE_BENCH_HEAP_SNAPSHOT", {
  default: false,
  description: "The bench's memory section has its node write a heap snapshot of its 10,000 scans before it is " +
    "stopped (start the bench with NODE_OPTIONS=--heapsnapshot-signal=SIGUSR2)"
})
export const benchHeapSnapshotWait = Setting.seconds("development", "MIRAGE_BENCH_HEAP_SNAPSHOT_WAIT_S", {
  default: "90 seconds",
  description: "How long the bench waits for that heap snapshot to be written before it stops the node"
})
