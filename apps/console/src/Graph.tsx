/**
 * The entity graph of a scan (cytoscape, loaded on first use): the target, each result as a node coloured by type,
 * and an edge from the entity it was found from (`parent`: a hash or a value; the target when absent).
 */
import type { Core, ElementDefinition } from "cytoscape"
import { useEffect, useRef, useState } from "preact/hooks"
import type { EntityType, ResultJson, ScanJson } from "./Api.js"
import { currentTheme } from "./Theme.js"

export const typeColours: Record<EntityType, string> = {
  DOMAIN: "#3b82f6",
  IP: "#10b981",
  EMAIL: "#f59e0b",
  URL: "#8b5cf6",
  USERNAME: "#ec4899",
  PHONE: "#14b8a6",
  ASN: "#ef4444",
  NETBLOCK: "#f97316",
  OPEN_PORT: "#84cc16",
  TECHNOLOGY: "#06b6d4",
  ORGANIZATION: "#a855f7",
  BREACH: "#dc2626",
  VULNERABILITY: "#b91c1c",
  CERTIFICATE: "#64748b",
  CORRELATION: "#eab308"
}

const targetId = "target"
/** Nodes shown at first (breadth first from the target); Expand adds more. Cytoscape stays fluid at this size. */
const initialNodes = 300
const maxNodes = 3000

interface Model {
  readonly nodes: ReadonlyMap<string, ElementDefinition>
  /** Each node's children: the entities found from it. */
  readonly children: ReadonlyMap<string, ReadonlyArray<string>>
  readonly fromParents: number
}

/** One node per result (by hash) and the target; each under its parent, found by hash or value, else the target. */
export const modelOf = (scan: ScanJson, results: ReadonlyArray<ResultJson>): Model => {
  const byHash = new Map<string, ResultJson>()
  const byValue = new Map<string, ResultJson>()
  for (const result of results) {
    if (result.data === scan.target.value && result.data_type === scan.target.type) continue
    byHash.set(result.hash, result)
    if (!byValue.has(result.data)) byValue.set(result.data, result)
  }
  const parentOf = (result: ResultJson): string => {
    const parent = result.parent
    if (parent === undefined || parent === null) return targetId
    const found = byHash.get(parent) ?? byValue.get(parent)
    return found === undefined || found.hash === result.hash ? targetId : found.hash
  }
  const nodes = new Map<string, ElementDefinition>([[targetId, {
    data: { id: targetId, label: scan.target.value, type: scan.target.type, colour: typeColours[scan.target.type] }
  }]])
  const children = new Map<string, Array<string>>()
  let fromParents = 0
  for (const result of byHash.values()) {
    nodes.set(result.hash, {
      data: { id: result.hash, label: result.data, type: result.data_type, colour: typeColours[result.data_type] }
    })
    const parent = parentOf(result)
    if (parent !== targetId) fromParents++
    const list = children.get(parent) ?? []
    list.push(result.hash)
    children.set(parent, list)
  }
  return { nodes, children, fromParents }
}

/** The elements to add so that `ids` are shown under their parents (ids already shown are skipped). */
const elementsFor = (model: Model, parents: Iterable<string>, shown: Set<string>, budget: number) => {
  const added: Array<ElementDefinition> = []
  for (const parent of parents) {
    for (const child of model.children.get(parent) ?? []) {
      if (added.length / 2 >= budget) return added
      if (shown.has(child)) continue
      shown.add(child)
      added.push(model.nodes.get(child)!, { data: { id: `e-${child}`, source: parent, target: child } })
    }
  }
  return added
}

export const EntityGraph = (props: { readonly scan: ScanJson; readonly results: ReadonlyArray<ResultJson> }) => {
  const container = useRef<HTMLDivElement>(null)
  const graph = useRef<Core | null>(null)
  const [selected, setSelected] = useState<string | null>(null)
  const [summary, setSummary] = useState("")
  const state = useRef<{ model: Model; shown: Set<string> } | null>(null)
  const describe = (cy: Core) => {
    const model = state.current?.model
    const total = model?.nodes.size ?? 0
    const nodes = cy.nodes().length
    const parented = cy.edges().filter((edge) => edge.source().id() !== targetId).length
    setSummary(
      `${nodes} nodes${
        nodes < total ? ` of ${total}` : ""
      }, ${cy.edges().length} edges (${parented} from a parent entity)`
    )
  }
  useEffect(() => {
    let cancelled = false
    void import("cytoscape").then(({ default: cytoscape }) => {
      if (cancelled || container.current === null) return
      const model = modelOf(props.scan, props.results)
      const shown = new Set([targetId])
      // Breadth first from the target until the first view is full.
      const first: Array<ElementDefinition> = [model.nodes.get(targetId)!]
      for (let level = [targetId]; level.length > 0 && shown.size < initialNodes;) {
        const added = elementsFor(model, level, shown, initialNodes - shown.size)
        first.push(...added)
        level = added.filter((element) => element.data.source === undefined).map((element) => element.data.id!)
      }
      const dark = currentTheme() === "dark"
      const cy = cytoscape({
        container: container.current,
        elements: first,
        wheelSensitivity: 0.3,
        style: [
          {
            selector: "node",
            style: {
              "background-color": "data(colour)",
              label: "data(label)",
              "font-size": 8,
              "min-zoomed-font-size": 7,
              "text-max-width": "140px",
              "text-wrap": "ellipsis",
              color: dark ? "#e5e7eb" : "#111827",
              "text-valign": "bottom",
              "text-margin-y": 3,
              width: 14,
              height: 14
            }
          },
          {
            selector: `#${targetId}`,
            style: { width: 26, height: 26, "border-width": 3, "border-color": dark ? "#fff" : "#000" }
          },
          { selector: "node:selected", style: { "border-width": 3, "border-color": "#facc15" } },
          {
            selector: "edge",
            style: {
              width: 1,
              "line-color": dark ? "#4b5563" : "#cbd5e1",
              "target-arrow-shape": "triangle",
              "target-arrow-color": dark ? "#4b5563" : "#cbd5e1",
              "curve-style": "bezier",
              "arrow-scale": 0.6
            }
          }
        ],
        layout: { name: "grid" }
      })
      cy.on("select", "node", (event) => setSelected(event.target.id()))
      cy.on("unselect", "node", () => setSelected(null))
      graph.current = cy
      state.current = { model, shown }
      relayout(cy)
      describe(cy)
    })
    return () => {
      cancelled = true
      graph.current?.destroy()
      graph.current = null
    }
  }, [props.scan.id, props.results])
  const relayout = (cy: Core) => {
    const layout = cy.nodes().length > 400
      ? cy.layout({ name: "concentric", minNodeSpacing: 6, animate: false })
      : cy.layout({ name: "cose", animate: false, randomize: false })
    layout.run()
    cy.fit(undefined, 20)
  }
  const focus = () => {
    const cy = graph.current
    if (cy === null || selected === null) return
    cy.animate({ fit: { eles: cy.getElementById(selected).closedNeighborhood(), padding: 40 } }, { duration: 300 })
  }
  const expand = () => {
    const cy = graph.current
    const current = state.current
    if (cy === null || current === null) return
    const parents = selected === null ? cy.nodes().map((node) => node.id()) : [selected]
    const added = elementsFor(current.model, parents, current.shown, maxNodes - current.shown.size)
    if (added.length === 0) return
    cy.add(added)
    relayout(cy)
    describe(cy)
  }
  return (
    <div class="graph-wrap">
      <div class="row toolbar">
        <button type="button" class="small" onClick={() => graph.current?.fit(undefined, 20)}>Fit</button>
        <button type="button" class="small" disabled={selected === null} onClick={focus}>Focus selected</button>
        <button type="button" class="small" onClick={expand}>
          {selected === null ? "Expand all one step" : "Expand selected"}
        </button>
        <span class="muted" data-testid="graph-summary">{summary}</span>
      </div>
      <div class="legend" aria-label="Colours by type">
        {(Object.keys(typeColours) as Array<EntityType>).map((type) => (
          <span>
            <i style={{ background: typeColours[type] }} />
            {type}
          </span>
        ))}
      </div>
      <div ref={container} class="graph" role="img" aria-label={`Entity graph: ${summary}`} />
    </div>
  )
}
