/**
 * The scraper kind: a source that answers HTML. Pages are parsed by a real HTML parser and rows are
 * the elements a CSS selector picks, so a scraper says which elements hold its data and how one reads.
 */
import type { EntityType } from "@mirage/domain/Entity"
import { Either } from "effect"
import type { Element } from "../Html.js"
import * as Html from "../Html.js"
import type { Finding } from "../Module.js"
import { type ModuleHeader, pagedModule, type Pages } from "./PagedApi.js"
import { Formats, type Target } from "./Request.js"

export interface ScraperSpec<Config, Encoded extends Readonly<Record<string, unknown>>, Row>
  extends ModuleHeader<Config, Encoded>, Omit<Pages<Config, Html.Document, Row>, "format" | "rows">
{
  readonly input_types: ReadonlyArray<EntityType>
  readonly output_types: ReadonlyArray<EntityType>
  /** The CSS selector of the elements that are rows (`table#results td a`). */
  readonly select: string
  /** What one element reads as; undefined skips it (counted, with `skipReason`). */
  readonly read: (element: Element) => Row | undefined
  readonly skipReason?: string
  readonly findings: (rows: ReadonlyArray<NoInfer<Row>>, target: Target, config: Config) => ReadonlyArray<Finding>
}

/** A module from a scraper description. */
export const scraper = <Config, Encoded extends Readonly<Record<string, unknown>>, Row>(
  spec: ScraperSpec<Config, Encoded, Row>
) =>
  pagedModule<Config, Encoded, Html.Document, Row>({
    ...spec,
    format: Formats.html,
    rows: (document) => Html.select(document, spec.select),
    decodeRow: (raw) => {
      const row = Html.isElement(raw) ? spec.read(raw) : undefined
      return row === undefined ? Either.left(spec.skipReason ?? "element not readable") : Either.right(row)
    }
  })
