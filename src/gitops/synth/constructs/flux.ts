// Flux objects as cdk8s constructs with the fields this distribution sets, typed. The field
// names follow Flux's APIs (source.toolkit.fluxcd.io v1, helm.toolkit.fluxcd.io v2,
// kustomize.toolkit.fluxcd.io v1); tests check the output against Flux's published schemas.
import { ApiObject } from "cdk8s";
import type { Construct } from "constructs";

interface Meta {
  name: string;
  namespace: string;
  labels?: Record<string, string>;
}

export class GitRepository extends ApiObject {
  constructor(
    scope: Construct,
    id: string,
    props: {
      metadata: Meta;
      url: string;
      branch: string;
      interval: string;
      ignore?: string;
    },
  ) {
    super(scope, id, {
      apiVersion: "source.toolkit.fluxcd.io/v1",
      kind: "GitRepository",
      metadata: props.metadata,
      spec: {
        interval: props.interval,
        url: props.url,
        ref: { branch: props.branch },
        ...(props.ignore ? { ignore: props.ignore } : {}),
      },
    });
  }
}

/** A Helm chart published to an OCI registry, as Flux recommends (HelmRelease `chartRef`). */
export class OciRepository extends ApiObject {
  constructor(
    scope: Construct,
    id: string,
    props: {
      metadata: Meta;
      url: string;
      semver: string;
      interval: string;
      secretRef?: string;
      insecure?: boolean;
    },
  ) {
    super(scope, id, {
      apiVersion: "source.toolkit.fluxcd.io/v1",
      kind: "OCIRepository",
      metadata: props.metadata,
      spec: {
        interval: props.interval,
        url: props.url,
        ref: { semver: props.semver },
        layerSelector: {
          mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
          operation: "copy",
        },
        ...(props.secretRef ? { secretRef: { name: props.secretRef } } : {}),
        ...(props.insecure ? { insecure: true } : {}),
      },
    });
  }
}

export interface SourceRef {
  kind: "GitRepository";
  name: string;
  namespace?: string;
}

export interface ValuesFrom {
  kind: "Secret" | "ConfigMap";
  name: string;
  valuesKey: string;
  optional?: boolean;
}

/** Where a HelmRelease gets its chart: a chart in a Git source, or an OCIRepository. */
export type ChartSource =
  | {
      kind: "git";
      path: string;
      sourceRef: SourceRef;
      /** ChartVersion: a new chart only when Chart.yaml's version changes. */
      reconcileStrategy: "ChartVersion" | "Revision";
      interval: string;
    }
  | { kind: "oci"; name: string; namespace?: string };

export class HelmRelease extends ApiObject {
  constructor(
    scope: Construct,
    id: string,
    props: {
      metadata: Meta;
      releaseName: string;
      chart: ChartSource;
      interval: string;
      timeout: string;
      retries: number;
      valuesFrom: ValuesFrom[];
    },
  ) {
    const c = props.chart;
    super(scope, id, {
      apiVersion: "helm.toolkit.fluxcd.io/v2",
      kind: "HelmRelease",
      metadata: props.metadata,
      spec: {
        interval: props.interval,
        timeout: props.timeout,
        releaseName: props.releaseName,
        ...(c.kind === "git"
          ? {
              chart: {
                spec: {
                  chart: c.path,
                  sourceRef: c.sourceRef,
                  reconcileStrategy: c.reconcileStrategy,
                  interval: c.interval,
                },
              },
            }
          : {
              chartRef: {
                kind: "OCIRepository",
                name: c.name,
                ...(c.namespace ? { namespace: c.namespace } : {}),
              },
            }),
        install: { crds: "CreateReplace", remediation: { retries: props.retries } },
        upgrade: {
          crds: "CreateReplace",
          cleanupOnFail: true,
          remediation: { retries: props.retries, remediateLastFailure: true, strategy: "rollback" },
        },
        driftDetection: { mode: "enabled" },
        valuesFrom: props.valuesFrom,
      },
    });
  }
}

/** Push-triggered reconciles: the git host's webhook calls the notification-controller. */
export class Receiver extends ApiObject {
  constructor(
    scope: Construct,
    id: string,
    props: {
      metadata: Meta;
      type: "generic" | "generic-hmac" | "github" | "gitlab" | "bitbucket" | "gitea";
      secretName: string;
      resources: { kind: "GitRepository"; name: string }[];
    },
  ) {
    super(scope, id, {
      apiVersion: "notification.toolkit.fluxcd.io/v1",
      kind: "Receiver",
      metadata: props.metadata,
      spec: {
        type: props.type,
        ...(props.type === "github" || props.type === "gitea" ? { events: ["push"] } : {}),
        secretRef: { name: props.secretName },
        resources: props.resources,
      },
    });
  }
}

export class FluxKustomization extends ApiObject {
  constructor(
    scope: Construct,
    id: string,
    props: {
      metadata: Meta;
      path: string;
      sourceRef: { kind: "GitRepository"; name: string };
      dependsOn: string[];
      interval: string;
      retryInterval: string;
      timeout: string;
    },
  ) {
    super(scope, id, {
      apiVersion: "kustomize.toolkit.fluxcd.io/v1",
      kind: "Kustomization",
      metadata: props.metadata,
      spec: {
        interval: props.interval,
        retryInterval: props.retryInterval,
        timeout: props.timeout,
        path: props.path,
        prune: true,
        wait: true,
        sourceRef: props.sourceRef,
        ...(props.dependsOn.length ? { dependsOn: props.dependsOn.map((name) => ({ name })) } : {}),
      },
    });
  }
}
