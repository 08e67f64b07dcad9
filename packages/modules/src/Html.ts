/**
 * HTML (and XML) read through a real parser — htmlparser2, with CSS selectors from css-select —
 * never through regular expressions: what scrapers and the web modules select from a page.
 */
import { selectAll } from "css-select"
import type { AnyNode, Document, Element } from "domhandler"
import { findAll, getAttributeValue, textContent } from "domutils"
import { parseDocument } from "htmlparser2"

export type { Document, Element }

const isNodeList = (node: AnyNode | ReadonlyArray<AnyNode>): node is ReadonlyArray<AnyNode> => Array.isArray(node)

let last: { readonly source: string; readonly xml: boolean; readonly document: Document } | undefined

/** The document tree; the last one parsed is kept, since a page is often read several times in a row. */
export const parse = (source: string, options: { readonly xml?: boolean } = {}): Document => {
  const xml = options.xml ?? false
  if (last !== undefined && last.source === source && last.xml === xml) return last.document
  const document = parseDocument(source, { decodeEntities: true, xmlMode: xml, lowerCaseTags: !xml })
  last = { source, xml, document }
  return document
}

/** Whether a parsed node (or any value) is an element. */
export const isElement = (node: unknown): node is Element =>
  node instanceof Object && "attribs" in node && "name" in node

/** Every element matching the CSS selector, in document order. */
export const select = (root: AnyNode | ReadonlyArray<AnyNode>, selector: string): ReadonlyArray<Element> =>
  selectAll<AnyNode, Element>(selector, isNodeList(root) ? [...root] : root)

export const first = (root: AnyNode, selector: string): Element | undefined => select(root, selector)[0]

/**
 * Every element whose local name is `name`, any namespace prefix (`sm:loc`) left out and case ignored: for XML
 * whose writers differ in both, where a CSS selector would match only one spelling.
 */
export const elementsNamed = (root: AnyNode | ReadonlyArray<AnyNode>, name: string): ReadonlyArray<Element> =>
  findAll(
    (element) => element.name.toLowerCase().replace(/^[^:]*:/, "") === name,
    isNodeList(root) ? [...root] : [root]
  )

/** An attribute's value, entities decoded and trimmed; undefined when absent. */
export const attribute = (element: Element, name: string): string | undefined =>
  getAttributeValue(element, name)?.trim()

/** The text inside a node, whitespace collapsed. */
export const text = (node: AnyNode | ReadonlyArray<AnyNode>): string =>
  textContent(isNodeList(node) ? [...node] : node).replace(/\s+/g, " ").trim()

/** The visible text of a document (or a part of it), each piece of text apart: scripts, styles and comments left out. */
export const visibleText = (document: AnyNode): string => {
  const parts: Array<string> = []
  const walk = (node: AnyNode) => {
    if (node.type === "text") parts.push(node.data)
    if (node.type === "script" || node.type === "style" || node.type === "comment") return
    if ("children" in node) { for (const child of node.children) walk(child) }
  }
  walk(document)
  return parts.join(" ")
}

/** Decodes character references in a piece of text (as in an attribute or an XML text node). */
export const decodeEntities = (source: string): string => textContent(parseDocument(source, { decodeEntities: true }))
