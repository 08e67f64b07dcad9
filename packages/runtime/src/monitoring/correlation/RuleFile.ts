/**
 * Correlation rule files: YAML text to a decoded rule, or the line and the reason it is refused (a YAML syntax error,
 * or the first field that does not fit SpiderFoot's rule format as Mirage reads it), and folders of such files.
 */
import { Rule } from "@mirage/domain/correlation/Rule"
import { Data, Effect, Either, ParseResult, Schema } from "effect"
import { readdir, readFile } from "node:fs/promises"
import { basename, join } from "node:path"
import { isMap, isNode, isScalar, LineCounter, parseDocument } from "yaml"
import type { Document } from "yaml"

/** Why a rule file is refused, and where: `line` is 1-based, 0 where the file as a whole is at fault. */
export class RuleFileError extends Data.TaggedError("RuleFileError")<{
  readonly file: string
  readonly line: number
  readonly reason: string
}> {
  override get message() {
    return `${this.file}${this.line > 0 ? `:${this.line}` : ""}: ${this.reason}`
  }
}

const decodeRule = Schema.decodeUnknownEither(Rule, { errors: "first", onExcessProperty: "error" })

/**
 * The line of the deepest part of the path that is in the document: a key's own line (not its value's), and a
 * missing key reported at its parent.
 */
const lineOf = (document: Document, lineCounter: LineCounter, path: ReadonlyArray<PropertyKey>): number => {
  for (let depth = path.length; depth >= 0; depth--) {
    const parent = depth <= 1 ? document.contents : document.getIn(path.slice(0, depth - 1), true)
    const last = path[depth - 1]
    const pair = depth > 0 && isMap(parent)
      ? parent.items.find((item) => isScalar(item.key) && item.key.value === last)
      : undefined
    const node = depth === 0 ? document.contents : pair?.key ?? document.getIn(path.slice(0, depth), true)
    if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line
  }
  return 0
}

const pathText = (path: ReadonlyArray<PropertyKey>) => path.map(String).join(".")

/**
 * The rule a YAML text holds, or why not. `file`, a file's name, names it in the error, and the rule's id must be
 * that name; a text given alone (an API body) is called `rule`.
 */
export const parse = (text: string, fileName?: string): Either.Either<Rule, RuleFileError> => {
  const file = fileName ?? "rule"
  const lineCounter = new LineCounter()
  const document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true })
  const syntax = document.errors[0]
  if (syntax !== undefined) {
    return Either.left(
      new RuleFileError({ file, line: syntax.linePos?.[0].line ?? 0, reason: syntax.message.split("\n")[0]! })
    )
  }
  // An alias bomb (or a document too deep to copy) is refused, not thrown: rule texts come from users too.
  const plain = Either.try(() => document.toJS({ maxAliasCount: 100 }) as unknown)
  if (Either.isLeft(plain)) {
    const reason = plain.left instanceof Error ? plain.left.message : "the document cannot be read"
    return Either.left(new RuleFileError({ file, line: 0, reason }))
  }
  // A document that is no mapping at all would otherwise be answered with the whole rule schema.
  const root = plain.right
  if (typeof root !== "object" || root === null || Array.isArray(root)) {
    const reason = "a rule is a YAML mapping with id, version, meta, collections and headline"
    return Either.left(new RuleFileError({ file, line: 1, reason }))
  }
  const decoded = decodeRule(root)
  if (Either.isLeft(decoded)) {
    const issue = ParseResult.ArrayFormatter.formatErrorSync(decoded.left)[0]
    const path = issue?.path ?? []
    const line = lineOf(document, lineCounter, path)
    const where = path.length === 0 ? "" : `${pathText(path)}: `
    return Either.left(new RuleFileError({ file, line, reason: `${where}${issue?.message ?? "not a rule"}` }))
  }
  const expected = file.replace(/\.ya?ml$/, "")
  if (fileName !== undefined && decoded.right.id !== expected) {
    const node = document.get("id", true)
    return Either.left(
      new RuleFileError({
        file,
        line: isNode(node) && node.range ? lineCounter.linePos(node.range[0]).line : 0,
        reason: `id: the rule id ${decoded.right.id} must be the file's name, ${expected}`
      })
    )
  }
  return Either.right(decoded.right)
}

/**
 * The rules of every `.yaml`/`.yml` file of a folder, in file name order. One malformed file refuses the folder, as
 * a rule silently skipped would be a check silently not made.
 */
export const loadFolder = (folder: string): Effect.Effect<ReadonlyArray<Rule>, RuleFileError> =>
  Effect.gen(function*() {
    const names = yield* Effect.tryPromise({
      try: () => readdir(folder),
      catch: () => new RuleFileError({ file: folder, line: 0, reason: "the folder cannot be read" })
    })
    const rules: Array<Rule> = []
    const ids = new Set<string>()
    for (const name of names.filter((name) => /\.ya?ml$/.test(name)).sort()) {
      const path = join(folder, name)
      const text = yield* Effect.tryPromise({
        try: () => readFile(path, "utf8"),
        catch: () => new RuleFileError({ file: path, line: 0, reason: "the file cannot be read" })
      })
      const rule = yield* parse(text, basename(name)).pipe(
        Either.mapLeft((error) => new RuleFileError({ file: path, line: error.line, reason: error.reason }))
      )
      if (ids.has(rule.id)) return yield* new RuleFileError({ file: path, line: 0, reason: `rule ${rule.id} twice` })
      ids.add(rule.id)
      rules.push(rule)
    }
    return rules
  })

/** The folder of the rules Mirage ships. */
export const builtinFolder = new URL("../../../correlations/", import.meta.url).pathname
