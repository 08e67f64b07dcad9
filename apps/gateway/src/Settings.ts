/** The gateway's own settings: where it listens, request limits, the first admin key. */
import * as Setting from "@mirage/runtime/platform/Setting"
import { Config } from "effect"

export const port = Setting.integer("gateway", "PORT", { default: 8080, description: "Port of the HTTP API" })
export const host = Setting.string("gateway", "HOST", { default: "0.0.0.0", description: "Address the API listens on" })
export const maxBodyBytes = Setting.integer("gateway", "MIRAGE_MAX_BODY_BYTES", {
  default: 1024 * 1024,
  description: "Largest request body accepted (413 beyond)"
})
export const apiRate = Setting.number("gateway", "MIRAGE_API_RATE", {
  default: 50,
  description: "Requests per second per API key (0: unlimited)"
})
export const apiBurst = Setting.integer("gateway", "MIRAGE_API_BURST", {
  default: 100,
  description: "Requests an idle API key may send at once"
})
export const bootstrapApiKey = Setting.optionalSecret("gateway", "MIRAGE_BOOTSTRAP_API_KEY", {
  description: "Admin API key of the default organization, ensured at startup; when not set, one is generated once"
})
export const heapGrowthPercent = Setting.integer("gateway", "MIRAGE_GATEWAY_HEAP_GROWTH_PERCENT", {
  default: 200,
  description:
    "How far V8 grows the gateway's heap after a full collection, in percent (0: V8's own choice, 10–300% anew each time, which at a steady request rate fell to 10% and collected the ≈ 100 MB live heap every few seconds)"
})
export const workers = Setting.integer("gateway", "MIRAGE_GATEWAY_WORKERS", {
  default: 1,
  description:
    "Gateway processes on this host sharing PORT (1 to 64): a primary starts them and starts again one that exits. One process uses one core; several use several, as replicas would"
}).pipe(
  Config.validate({
    message: "MIRAGE_GATEWAY_WORKERS must be a whole number from 1 to 64",
    validation: (n) => n >= 1 && n <= 64
  })
)
