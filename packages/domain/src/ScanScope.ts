/**
 * A scan's scope: what recursion may go on to process. `domains` bounds the names (a name is in
 * scope when it is one of them or below one); `blacklist` (names with what is below them, IPs,
 * CIDRs, or any entity's exact value) wins over everything, the target included. Entities out of
 * scope are still reported as found; they are only never processed.
 */
import { Either, Schema } from "effect"
import { contains, parseAddress, parseCidr } from "./Cidr.js"
import type { Entity } from "./Entity.js"

const Entry = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(253))

export const ScanScope = Schema.Struct({
  domains: Schema.optionalWith(Schema.Array(Entry).pipe(Schema.maxItems(100)), { exact: true }),
  blacklist: Schema.optionalWith(Schema.Array(Entry).pipe(Schema.maxItems(1000)), { exact: true })
})
export type ScanScope = typeof ScanScope.Type

const normalize = (name: string) => name.trim().toLowerCase().replace(/\.+$/, "")

const within = (name: string, parent: string) => {
  const n = normalize(name)
  const p = normalize(parent)
  return p.length > 0 && (n === p || n.endsWith(`.${p}`))
}

/** The host name an entity is about, if any (DOMAIN, the domain of an EMAIL, a URL's host). */
const nameOf = (entity: Entity): string | undefined => {
  switch (entity.type) {
    case "DOMAIN":
      return entity.value
    case "EMAIL":
      return entity.value.split("@")[1]
    case "URL":
      return URL.canParse(entity.value) ? new URL(entity.value).hostname : undefined
    default:
      return undefined
  }
}

/** The address an entity is about, if any (IP, an OPEN_PORT's `ip:port`). */
const addressOf = (entity: Entity): string | undefined => {
  if (entity.type === "IP") return entity.value
  if (entity.type === "OPEN_PORT") return entity.value.replace(/:\d+$/, "").replace(/^\[|\]$/g, "")
  return undefined
}

const blacklisted = (entry: string, entity: Entity) => {
  if (entry === entity.value) return true
  const name = nameOf(entity)
  if (name !== undefined && within(name, entry)) return true
  const address = addressOf(entity)
  if (address === undefined) return false
  return Either.match(Either.all([parseCidr(entry), parseAddress(address)]), {
    onLeft: () => false,
    onRight: ([cidr, parsed]) => contains(cidr, parsed)
  })
}

/** Whether the scan may process `entity`; no scope is no bound. */
export const inScope = (scope: ScanScope | undefined, entity: Entity): boolean => {
  if (scope === undefined) return true
  if ((scope.blacklist ?? []).some((entry) => blacklisted(entry, entity))) return false
  const domains = scope.domains ?? []
  const name = nameOf(entity)
  return domains.length === 0 || name === undefined || domains.some((domain) => within(name, domain))
}
