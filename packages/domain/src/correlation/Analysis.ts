/**
 * The analysis stage of a rule: groups of collected results in, the groups that survive each analysis method out,
 * in order. Threshold and outlier keep or drop whole groups; the first-collection methods filter their members.
 */
import { isIP } from "node:net"
import { valuesOf } from "./Fields.js"
import type { Element, Index } from "./Fields.js"
import type { Analysis, Rule } from "./Rule.js"

/** A collected result and the collections (by position in the rule) that collected it. */
export interface Member {
  readonly element: Element
  readonly collections: ReadonlyArray<number>
}

export type Groups = ReadonlyMap<string, ReadonlyArray<Member>>

const inFirst = (member: Member) => member.collections.includes(0)
const inLater = (member: Member) => member.collections.some((collection) => collection > 0)

const ipv4Number = (ip: string): number => ip.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0)

/** Whether an IPv4 address lies in an IPv4 block `a.b.c.d/n` (IPv6 is compared as text: exact only). */
const inSubnet = (value: string, block: string): boolean => {
  const [network, bits] = block.split("/")
  const address = value.replace(/:\d+$/, "")
  if (network === undefined || bits === undefined || isIP(network) !== 4 || isIP(address) !== 4) return value === block
  const prefix = Number(bits)
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) return false
  const size = 2 ** (32 - prefix)
  return Math.floor(ipv4Number(address) / size) === Math.floor(ipv4Number(network) / size)
}

const matchesReference = (method: "exact" | "contains" | "subnet", value: string, reference: string) =>
  method === "exact"
    ? value === reference
    : method === "contains"
    ? value.includes(reference)
    : inSubnet(value, reference)

const filterMembers = (groups: Groups, keep: (member: Member) => boolean): Groups => {
  const kept = new Map<string, ReadonlyArray<Member>>()
  for (const [key, members] of groups) {
    const survivors = members.filter(keep)
    if (survivors.length > 0) kept.set(key, survivors)
  }
  return kept
}

const step = (rule: Rule, index: Index, groups: Groups, analysis: Analysis): Groups => {
  switch (analysis.method) {
    case "threshold": {
      const kept = new Map<string, ReadonlyArray<Member>>()
      for (const [key, members] of groups) {
        const values = members.flatMap((member) => valuesOf(index, member.element, analysis.field))
        const count = analysis.count_unique_only ? new Set(values).size : values.length
        if (
          (analysis.minimum === undefined || count >= analysis.minimum) &&
          (analysis.maximum === undefined || count <= analysis.maximum)
        ) kept.set(key, members)
      }
      return kept
    }
    case "outlier": {
      let total = 0
      for (const members of groups.values()) total += members.length
      // Many small buckets: the data has no majority to stand out from, so nothing is an outlier.
      if (groups.size === 0 || 100 / groups.size < analysis.noisy_percent) return new Map()
      const kept = new Map<string, ReadonlyArray<Member>>()
      for (const [key, members] of groups) {
        if ((members.length / total) * 100 < analysis.maximum_percent) kept.set(key, members)
      }
      return kept
    }
    case "first_collection_only": {
      const elsewhere = new Set<string>()
      for (const members of groups.values()) {
        for (const member of members) {
          if (inLater(member)) {
            for (const value of valuesOf(index, member.element, analysis.field)) elsewhere.add(value)
          }
        }
      }
      return filterMembers(
        groups,
        (member) =>
          inFirst(member) && !valuesOf(index, member.element, analysis.field).some((value) => elsewhere.has(value))
      )
    }
    case "match_all_to_first_collection": {
      const field = rule.aggregation!.field
      const references = new Set<string>()
      for (const members of groups.values()) {
        for (const member of members) {
          if (inFirst(member)) { for (const value of valuesOf(index, member.element, field)) references.add(value) }
        }
      }
      return filterMembers(groups, (member) =>
        inLater(member) &&
        valuesOf(index, member.element, field).some((value) =>
          Array.from(references).some((reference) => matchesReference(analysis.match_method, value, reference))
        ))
    }
  }
}

/** The groups that pass every analysis of the rule, in the rule's order. */
export const analyse = (rule: Rule, index: Index, groups: Groups): Groups =>
  (rule.analysis ?? []).reduce((current, analysis) => step(rule, index, current, analysis), groups)
