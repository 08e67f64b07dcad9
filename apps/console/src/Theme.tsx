/** Light and dark themes: the system's preference until the user picks one (kept in localStorage). */
import { useEffect, useState } from "preact/hooks"

type Theme = "light" | "dark"
const stored = (): Theme | null => {
  const value = localStorage.getItem("mirage.theme")
  return value === "light" || value === "dark" ? value : null
}
const system = (): Theme => matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light"

export const currentTheme = (): Theme => (document.documentElement.dataset["theme"] as Theme | undefined) ?? system()

const apply = (theme: Theme | null) => {
  if (theme === null) delete document.documentElement.dataset["theme"]
  else document.documentElement.dataset["theme"] = theme
  dispatchEvent(new Event("mirage-theme"))
}
apply(stored())

export const ThemeToggle = () => {
  const [theme, setTheme] = useState<Theme>(stored() ?? system())
  useEffect(() => {
    const media = matchMedia("(prefers-color-scheme: dark)")
    const follow = () => stored() === null && setTheme(system())
    media.addEventListener("change", follow)
    return () => media.removeEventListener("change", follow)
  }, [])
  const next: Theme = theme === "dark" ? "light" : "dark"
  return (
    <button
      type="button"
      class="ghost"
      aria-label={`Switch to ${next} theme`}
      onClick={() => {
        localStorage.setItem("mirage.theme", next)
        apply(next)
        setTheme(next)
      }}
    >
      {theme === "dark" ? "☀ Light" : "☾ Dark"}
    </button>
  )
}
