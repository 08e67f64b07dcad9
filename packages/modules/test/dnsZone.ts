/** A DNS module run against a zone of its own on the testkit's DNS server: its findings, notes and the questions asked. */
import type { EntityType } from "@mirage/domain/Entity"
import type { Module } from "@mirage/modules/Module"
import * as DnsServer from "@mirage/testkit/DnsServer"
import { Effect } from "effect"
import { contextFor } from "./support.js"

export const collectInZone = (
  module: Module,
  zone: DnsServer.Zone,
  target: string | { readonly type: EntityType; readonly value: string },
  config: unknown = {}
) =>
  Effect.gen(function*() {
    const dns = yield* DnsServer.make(zone)
    const { ctx } = yield* contextFor(module.id, { dnsServers: [dns.address] })
    const outcome = yield* Effect.either(
      Effect.flatMap(module.open(config, ctx), (session) =>
        session.collect({ target: typeof target === "string" ? { type: "DOMAIN", value: target } : target }))
    )
    const questions = dns.questions().map((q) =>
      `${q.type} ${q.name}`
    ).sort()
    return { outcome, notes: yield* ctx.notes.summary, questions }
  })
