/** What the modules that ask the configured DNS resolvers share: their data source and a counted session. */
import type { DataSource } from "../Module.js"
import { countedSession } from "../ModuleContext.js"

/** The resolvers, one source for every DNS module: one rate limit over all their lookups. */
export const dnsSource: DataSource = {
  id: "dns",
  name: "DNS resolvers",
  rateLimit: { requests: 50, perSeconds: 1, burst: 100 },
  requiresKey: false,
  proxy: false
}

/** A DNS module's session, counting its lookups. */
export const dnsSession = <Config>(module: string) => countedSession<Config>(module, "lookups")
