/**
 * The one logger of every Mirage process: JSON lines (level, message, timestamp, annotations such
 * as scan_id and task_id, the current span's trace_id) or, in a terminal, Effect's pretty logger.
 * Secrets never reach the output: Redacted values, credential fields and API keys are masked.
 */
import {
  Cause,
  Config,
  Context,
  Effect,
  FiberRef,
  FiberRefs,
  HashMap,
  HashSet,
  Inspectable,
  Layer,
  List,
  Logger,
  Option,
  Redacted,
  Tracer
} from "effect"
import type { LogLevel } from "effect"
import * as Settings from "./Settings.js"

export type LogFormat = "json" | "pretty"

export const LoggingConfig = Config.all({
  format: Settings.logFormat
})

export const redactedText = "<redacted>"

const secretField = /^(authorization|api[-_]?key|key|x-api-key|password|secret|token)$/i
const apiKey = /mk_[A-Za-z0-9_-]{20,}/g

/** A value with every secret masked: Redacted values, credential-named fields, strings holding an API key. */
export const redact = (value: unknown, depth = 0): unknown => {
  if (Redacted.isRedacted(value)) return redactedText
  if (typeof value === "string") return value.includes("mk_") ? value.replace(apiKey, redactedText) : value
  if (value === null || typeof value !== "object" || depth > 8) return value
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1))
  if (value instanceof Error) return redact(value.message, depth + 1)
  if (value instanceof Date) return value.toISOString()
  const out: Record<string, unknown> = {}
  for (const [field, inner] of Object.entries(value)) {
    out[field] = secretField.test(field) ? redactedText : redact(inner, depth + 1)
  }
  return out
}

/**
 * Fields of one log line, passed with its message (`Effect.log("…", Logging.fields({ … }))`) and written as that
 * line's own fields, as annotations are. Unlike `Effect.annotateLogs`, they change nothing in the fiber: annotating
 * copies the fiber's references twice, once to set them and once to restore them, which a line logged for every
 * request pays each time.
 */
export class LogFields {
  constructor(readonly values: Readonly<Record<string, unknown>>) {}
}

export const fields = (values: Readonly<Record<string, unknown>>): LogFields => new LogFields(values)

/** The parts of a message, and the fields passed among them. */
const partsOf = (message: unknown): { readonly parts: ReadonlyArray<unknown>; readonly fields: Array<LogFields> } => {
  const all = Array.isArray(message) ? message : [message]
  if (!all.some((part) => part instanceof LogFields)) return { parts: all, fields: [] }
  return {
    parts: all.filter((part) => !(part instanceof LogFields)),
    fields: all.filter((part): part is LogFields => part instanceof LogFields)
  }
}

const messageText = (parts: ReadonlyArray<unknown>): string =>
  parts.map((part) => {
    const clean = redact(part)
    return typeof clean === "string" ? clean : Inspectable.stringifyCircular(clean)
  }).join(" ")

const levelName = (level: LogLevel.LogLevel) => level.label.toLowerCase()

/** The JSON line of one log record. */
export const jsonLine = (options: Logger.Logger.Options<unknown>): string => {
  const message = partsOf(options.message)
  const record: Record<string, unknown> = {
    level: levelName(options.logLevel),
    message: messageText(message.parts),
    timestamp: options.date.toISOString()
  }
  if (HashMap.size(options.annotations) > 0) {
    for (const [key, value] of HashMap.toEntries(options.annotations)) {
      record[key] = secretField.test(key) ? redactedText : redact(value)
    }
  }
  for (const { values } of message.fields) {
    for (const [key, value] of Object.entries(values)) {
      record[key] = secretField.test(key) ? redactedText : redact(value)
    }
  }
  const span = Context.getOption(FiberRefs.getOrDefault(options.context, FiberRef.currentContext), Tracer.ParentSpan)
  if (Option.isSome(span)) {
    record.trace_id = span.value.traceId
    record.span_id = span.value.spanId
  }
  if (List.isCons(options.spans)) record.spans = List.toArray(options.spans).map((s) => s.label)
  if (!Cause.isEmpty(options.cause)) record.cause = messageText([Cause.pretty(options.cause)])
  return JSON.stringify(record)
}

/**
 * Lines gathered and handed to `sink` together: once per turn of the event loop, or as soon as 64 KiB wait. A burst of
 * requests that each log a line costs one write to stdout, not one per line (each a system call, ≈ 30 µs here); what
 * waits when the process exits is written then.
 */
export const batchedLines = (sink: (text: string) => void) => {
  let pending: Array<string> = []
  let size = 0
  let scheduled = false
  const flush = () => {
    scheduled = false
    if (pending.length === 0) return
    const text = pending.join("")
    pending = []
    size = 0
    sink(text)
  }
  const line = (text: string) => {
    pending.push(`${text}\n`)
    size += text.length + 1
    if (size >= 65_536) flush()
    else if (!scheduled) {
      scheduled = true
      setImmediate(flush)
    }
  }
  return { line, flush }
}

/** The process's stdout lines, batched; made on first use (stdout is written synchronously at exit, files and pipes). */
let stdoutLines: ((line: string) => void) | undefined
const toStdout = (line: string) => {
  if (stdoutLines === undefined) {
    const batched = batchedLines((text) => process.stdout.write(text))
    process.once("exit", batched.flush)
    stdoutLines = batched.line
  }
  stdoutLines(line)
}

/** A JSON-lines logger writing through `write` (stdout, batched, by default; tests capture it). */
export const jsonLogger = (write: (line: string) => void = toStdout) =>
  Logger.make<unknown, void>((options) => write(jsonLine(options)))

/** Effect's pretty logger, fed redacted messages and annotations. */
export const prettyLogger = (pretty: Logger.Logger<unknown, void> = Logger.prettyLogger()) =>
  Logger.make<unknown, void>((options) => {
    const { fields: given, parts } = partsOf(options.message)
    let annotations = options.annotations
    for (const { values } of given) {
      for (const [key, value] of Object.entries(values)) annotations = HashMap.set(annotations, key, value)
    }
    annotations = HashMap.map(annotations, (value, key) => secretField.test(key) ? redactedText : redact(value))
    const message = parts.length === 1 ? redact(parts[0]) : parts.map((m) => redact(m))
    return pretty.log({ ...options, message, annotations })
  })

/**
 * Makes the format given the only console logger. `NodeRuntime.runMain` has already swapped Effect's default logger
 * for its own pretty one, so replacing only the default would leave that one on too: every line printed twice.
 */
export const layerWith = (format: LogFormat, write?: (line: string) => void): Layer.Layer<never> =>
  Layer.fiberRefLocallyScopedWith(
    FiberRef.currentLoggers,
    (loggers) =>
      HashSet.add(
        HashSet.remove(HashSet.remove(loggers, Logger.defaultLogger), Logger.prettyLoggerDefault),
        format === "json" ? jsonLogger(write) : prettyLogger()
      )
  )

/** The logger from MIRAGE_LOG_FORMAT (json unless stdout is a terminal). */
export const layer: Layer.Layer<never> = Layer.unwrapEffect(
  Effect.map(
    Effect.orElseSucceed(LoggingConfig, () => ({ format: "json" as const })),
    ({ format }) => layerWith(format)
  )
)
