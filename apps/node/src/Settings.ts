/** The node process's own settings, and the local launcher's (`npm start`, the demo, the cluster tests). */
import * as Setting from "@mirage/runtime/platform/Setting"

export const heapGrowthPercent = Setting.integer("node", "MIRAGE_HEAP_GROWTH_PERCENT", {
  default: 30,
  description:
    "The most V8 grows a node's heap after a full collection, in percent (0: V8's own, up to 4×); keeps a node near 650 MiB with 10,000 waiting scans instead of 800–1000"
})
export const nodes = Setting.integer("launcher", "MIRAGE_NODES", {
  default: 2,
  description: "Node processes `npm start` runs"
})
export const gatewayWait = Setting.duration("launcher", "MIRAGE_GATEWAY_WAIT", {
  default: "180 seconds",
  description:
    "How long `npm start` waits for the gateway to answer /health (e.g. \"5 minutes\"); a first start on a busy machine is slow"
})
