import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT } from "./project";

// Top self-time frames from the .cpuprofile files `node --cpu-prof` wrote
// (one per process: the server, or the primary and each cluster worker).

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface Frame {
  frame: string;
  selfMs: number;
  /** Share of the busy (non-idle) time, %. */
  percent: number;
}

export interface ProfileSummary {
  files: string[];
  busyMs: number;
  idleMs: number;
  top: Frame[];
}

function frameName(cf: CpuProfile["nodes"][number]["callFrame"]): string {
  const name = cf.functionName || "(anonymous)";
  if (!cf.url) return name;
  const file = cf.url.startsWith("file://") ? cf.url.slice("file://".length) : cf.url;
  // Packages by name (node_modules may be a symlink elsewhere), our files from the root.
  const at = file.lastIndexOf("/node_modules/");
  const path = at >= 0 ? file.slice(at + "/node_modules/".length) : file.startsWith("/") ? relative(ROOT, file) : file;
  // lineNumber is 0-based in the profile.
  return `${name} ${path}:${cf.lineNumber + 1}`;
}

export function summarizeProfiles(dir: string, top = 15): ProfileSummary | null {
  if (!existsSync(dir)) return null;
  const files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
  if (files.length === 0) return null;
  const self = new Map<string, number>();
  for (const file of files) {
    const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as CpuProfile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const samples = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    // Each sample's time is the gap to the next one (µs).
    for (let i = 0; i < samples.length; i++) {
      const node = byId.get(samples[i]!);
      if (!node) continue;
      const us = deltas[i + 1] ?? 0;
      const key = frameName(node.callFrame);
      self.set(key, (self.get(key) ?? 0) + us / 1000);
    }
  }
  const idleMs = self.get("(idle)") ?? 0;
  self.delete("(idle)");
  const busyMs = [...self.values()].reduce((a, b) => a + b, 0);
  const frames = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([frame, ms]) => ({
      frame,
      selfMs: Math.round(ms),
      percent: busyMs > 0 ? Math.round((ms / busyMs) * 1000) / 10 : 0,
    }));
  return {
    files: files.map((f) => relative(ROOT, join(dir, f))),
    busyMs: Math.round(busyMs),
    idleMs: Math.round(idleMs),
    top: frames,
  };
}
