/**
 * The DNS-source kind: a module that asks the shared resolvers questions about its target and
 * makes findings of the answers. Every lookup goes through the context's DNS client, so it takes a
 * token of the one `dns` rate limit; a question that fails is a warning while others answered.
 */
import type { EntityType } from "@mirage/domain/Entity"
import { Effect, Either, Option } from "effect"
import type { CaaRecord, DnsClient, DnsError, MxRecord, SoaRecord } from "../DnsClient.js"
import { dnsSource } from "../internal/Dns.js"
import { defineModule, type Finding } from "../Module.js"
import { canonicalTarget, headerFields, type ModuleHeader } from "./PagedApi.js"
import type { Target } from "./Request.js"
import * as Rows from "./Rows.js"

export type Question =
  | { readonly type: "A" | "AAAA" | "CNAME" | "NS" | "PTR"; readonly name: string }
  | { readonly type: "MX"; readonly name: string }
  | { readonly type: "TXT"; readonly name: string }
  | { readonly type: "SOA"; readonly name: string }
  | { readonly type: "CAA"; readonly name: string }

export type Answer =
  | {
    readonly type: "A" | "AAAA" | "CNAME" | "NS" | "PTR"
    readonly name: string
    readonly records: ReadonlyArray<string>
  }
  | { readonly type: "MX"; readonly name: string; readonly records: ReadonlyArray<MxRecord> }
  /** Each record's character-strings joined, as SPF and DMARC are read. */
  | { readonly type: "TXT"; readonly name: string; readonly records: ReadonlyArray<string> }
  | { readonly type: "SOA"; readonly name: string; readonly records: ReadonlyArray<SoaRecord> }
  | { readonly type: "CAA"; readonly name: string; readonly records: ReadonlyArray<CaaRecord> }

/** One question asked of the resolvers. */
export const ask = (dns: DnsClient, question: Question): Effect.Effect<Answer, DnsError> => {
  const { name } = question
  switch (question.type) {
    case "A":
      return Effect.map(dns.resolve4(name), (records) => ({ type: "A", name, records }))
    case "AAAA":
      return Effect.map(dns.resolve6(name), (records) => ({ type: "AAAA", name, records }))
    case "CNAME":
      return Effect.map(dns.resolveCname(name), (records) => ({ type: "CNAME", name, records }))
    case "NS":
      return Effect.map(dns.resolveNs(name), (records) => ({ type: "NS", name, records }))
    case "PTR":
      return Effect.map(dns.reverse(name), (records) => ({ type: "PTR", name, records }))
    case "MX":
      return Effect.map(dns.resolveMx(name), (records) => ({ type: "MX", name, records }))
    case "TXT":
      return Effect.map(
        dns.resolveTxt(name),
        (records) => ({ type: "TXT", name, records: records.map((r) => r.join("")) })
      )
    case "SOA":
      return Effect.map(dns.resolveSoa(name), (soa) => ({ type: "SOA", name, records: Option.toArray(soa) }))
    case "CAA":
      return Effect.map(dns.resolveCaa(name), (records) => ({ type: "CAA", name, records }))
  }
}

export interface DnsSpec<Config, Encoded extends Readonly<Record<string, unknown>>>
  extends Omit<ModuleHeader<Config, Encoded>, "source">
{
  readonly input_types: ReadonlyArray<EntityType>
  readonly output_types: ReadonlyArray<EntityType>
  /** The questions about the (canonical) target. */
  readonly questions: (target: Target, config: Config) => ReadonlyArray<Question>
  /** The findings; or, for records of a grammar that some may not follow, those read and what was skipped (noted). */
  readonly findings: (
    answers: ReadonlyArray<Answer>,
    target: Target,
    config: Config
  ) => ReadonlyArray<Finding> | Rows.DecodedRows<Finding>
  /** Questions in flight at once; the `dns` rate limit paces them anyway. */
  readonly concurrency?: number
  /** A failure that is an answer, read as no records (an alias has no SOA: c-ares reads its CNAME as EBADRESP). */
  readonly noRecords?: (question: Question, error: DnsError) => boolean
}

/** The answer with no records to `question`. */
const emptyAnswer = (question: Question): Answer => ({ ...question, records: [] })

/** A module from a DNS-source description. */
export const dnsModule = <Config, Encoded extends Readonly<Record<string, unknown>>>(spec: DnsSpec<Config, Encoded>) =>
  defineModule({
    ...headerFields(spec),
    source: dnsSource,
    setup: (config: Config, ctx) => Effect.succeed({ config, dns: ctx.dns, notes: ctx.notes, log: ctx.log }),
    collect: (session, task) =>
      Effect.gen(function*() {
        const target = yield* canonicalTarget(spec.name, task)
        const questions = spec.questions(target, session.config)
        const noRecords = spec.noRecords ?? (() => false)
        const asked = yield* Effect.forEach(
          questions,
          (q) =>
            Effect.either(
              Effect.catchIf(ask(session.dns, q), (error) => noRecords(q, error), () => Effect.succeed(emptyAnswer(q)))
            ),
          { concurrency: spec.concurrency ?? 4 }
        )
        const answers = asked.filter(Either.isRight).map((answer) => answer.right)
        const failed = asked.filter(Either.isLeft).map((answer) => answer.left)
        // Nothing answered: the resolvers' failure is the task's (and worth retrying).
        if (failed.length > 0 && answers.length === 0) return yield* Effect.fail(failed[0]!)
        for (const [i, error] of failed.entries()) {
          if (i < 5) yield* session.notes.warn(`a DNS question failed: ${error.message}`)
        }
        const read = spec.findings(answers, target, session.config)
        const findings = "skipped" in read ? yield* Rows.keep(read, session.notes) : read
        yield* session.log(`${spec.name} answered`, { questions: questions.length, failed: failed.length })
        return findings
      })
  })
