/**
 * What alert channels need in tests: a fixed key sealing their secrets, and a channel guard whose names resolve from
 * a table (never through a real resolver), over production's policy unless a test gives another.
 */
import { unsafeCidr } from "@mirage/domain/Cidr"
import * as ScopeGuard from "@mirage/runtime/collection/ScopeGuard"
import type { NetworkPolicy, Resolve } from "@mirage/runtime/collection/ScopeGuard"
import * as ChannelGuard from "@mirage/runtime/monitoring/alerts/ChannelGuard"
import * as ChannelSecrets from "@mirage/runtime/monitoring/alerts/ChannelSecrets"
import { Layer } from "effect"

/** The channel key of tests (hex), as MIRAGE_CHANNEL_KEY would give it. */
export const testKeyHex = "6d6972616765206368616e6e656c206b657920666f722074657374732021210a"

export const testKey = Buffer.from(testKeyHex, "hex")

/** Names resolved from `table` (address lists); any other name does not resolve. */
export const resolver = (table: Readonly<Record<string, ReadonlyArray<string>>>): Resolve => async (hostname) => {
  const addresses = table[hostname.toLowerCase()]
  if (addresses === undefined) {
    throw Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" })
  }
  return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }))
}

/** The sandbox's policy: loopback only. */
export const loopbackOnly: NetworkPolicy = { allow: ScopeGuard.sandboxNetworks.map(unsafeCidr), publicAllowed: false }

/** The guard and the cipher, over `policy` (production's by default) and names from `table`. */
export const layer = (
  options: {
    readonly policy?: NetworkPolicy
    readonly table?: Readonly<Record<string, ReadonlyArray<string>>>
    readonly allowHttp?: boolean
  } = {}
) =>
  Layer.mergeAll(
    ChannelGuard.layerWith(
      options.policy ?? ScopeGuard.defaultPolicy,
      { allowHttp: options.allowHttp ?? false },
      resolver(options.table ?? {})
    ),
    ChannelSecrets.layerWith(testKey)
  )
