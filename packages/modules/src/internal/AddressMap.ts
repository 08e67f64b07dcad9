/**
 * Where to connect when scanning an address: the address itself, or the one `address_map` puts
 * in its place (a NAT'd view of a host, or the test sandbox, whose documentation-range addresses
 * are served on loopback). `only_mapped` keeps a scan to the mapped addresses.
 */
import { canonicalize } from "@mirage/domain/Entity"
import { Either, Option, Schema } from "effect"

const IpAddress = Schema.String.pipe(
  Schema.filter((value) => Either.isRight(canonicalize("IP", value)), { message: () => "must be an IP address" })
)

export const addressMapFields = {
  /** Connect to the value instead when scanning the key, e.g. `{ "192.0.2.10": "127.0.0.1" }`. */
  address_map: Schema.optionalWith(Schema.Record({ key: IpAddress, value: IpAddress }), {
    default: () => ({}),
    exact: true
  }),
  /** Scan only addresses that `address_map` names; others get no findings. */
  only_mapped: Schema.optionalWith(Schema.Boolean, { default: () => false, exact: true })
}

export interface AddressMapConfig {
  readonly address_map: Readonly<Record<string, string>>
  readonly only_mapped: boolean
}

const canonicalIp = (value: string) => Either.getOrElse(canonicalize("IP", value), () => value)

/** The address to connect to for `ip`, or none when the scan must leave it alone. */
export const connectAddress = (config: AddressMapConfig, ip: string): Option.Option<string> => {
  const target = canonicalIp(ip)
  for (const [from, to] of Object.entries(config.address_map)) {
    if (canonicalIp(from) === target) return Option.some(to)
  }
  return config.only_mapped ? Option.none() : Option.some(ip)
}
