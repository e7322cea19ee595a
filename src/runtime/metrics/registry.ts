// A minimal Prometheus registry: gauges and counters with labels, rendered in the text
// exposition format (version 0.0.4). Names follow upstream MetalLB so dashboards keep working.

type Labels = Record<string, string>;

const escape = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const labelText = (l: Labels) => {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escape(v)}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
};

export class Metric {
  private readonly values = new Map<string, { labels: Labels; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "gauge" | "counter",
  ) {}

  set(labels: Labels, value: number): void {
    this.values.set(labelText(labels), { labels, value });
  }

  inc(labels: Labels, by = 1): void {
    const key = labelText(labels);
    this.values.set(key, { labels, value: (this.values.get(key)?.value ?? 0) + by });
  }

  /** Drops series whose labels no longer exist (e.g. a deleted pool). */
  retain(keep: (labels: Labels) => boolean): void {
    for (const [k, v] of this.values) if (!keep(v.labels)) this.values.delete(k);
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const { labels, value } of this.values.values())
      lines.push(`${this.name}${labelText(labels)} ${value}`);
    return lines.join("\n");
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];

  gauge(name: string, help: string): Metric {
    return this.add(new Metric(name, help, "gauge"));
  }

  counter(name: string, help: string): Metric {
    return this.add(new Metric(name, help, "counter"));
  }

  private add(m: Metric): Metric {
    this.metrics.push(m);
    return m;
  }

  render(): string {
    return this.metrics.map((m) => m.render()).join("\n") + "\n";
  }
}
