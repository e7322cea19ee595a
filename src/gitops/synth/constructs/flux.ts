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
    props: { metadata: Meta; url: string; branch: string; interval: string; ignore?: string },
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

export class OciHelmRepository extends ApiObject {
  constructor(
    scope: Construct,
    id: string,
    props: { metadata: Meta; url: string; interval: string },
  ) {
    super(scope, id, {
      apiVersion: "source.toolkit.fluxcd.io/v1",
      kind: "HelmRepository",
      metadata: props.metadata,
      spec: { type: "oci", interval: props.interval, url: props.url },
    });
  }
}

export interface SourceRef {
  kind: "GitRepository" | "HelmRepository";
  name: string;
  namespace?: string;
}

export interface ValuesFrom {
  kind: "Secret" | "ConfigMap";
  name: string;
  valuesKey: string;
  optional?: boolean;
}

export class HelmRelease extends ApiObject {
  constructor(
    scope: Construct,
    id: string,
    props: {
      metadata: Meta;
      releaseName: string;
      chart: string;
      version?: string;
      sourceRef: SourceRef;
      /** Revision: a new Git commit is a new chart even without a version bump. */
      reconcileStrategy?: "ChartVersion" | "Revision";
      interval: string;
      timeout: string;
      retries: number;
      valuesFrom: ValuesFrom[];
    },
  ) {
    super(scope, id, {
      apiVersion: "helm.toolkit.fluxcd.io/v2",
      kind: "HelmRelease",
      metadata: props.metadata,
      spec: {
        interval: props.interval,
        timeout: props.timeout,
        releaseName: props.releaseName,
        chart: {
          spec: {
            chart: props.chart,
            ...(props.version ? { version: props.version } : {}),
            sourceRef: props.sourceRef,
            ...(props.reconcileStrategy ? { reconcileStrategy: props.reconcileStrategy } : {}),
            interval: props.interval,
          },
        },
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
      timeout: string;
    },
  ) {
    super(scope, id, {
      apiVersion: "kustomize.toolkit.fluxcd.io/v1",
      kind: "Kustomization",
      metadata: props.metadata,
      spec: {
        interval: props.interval,
        retryInterval: "1m",
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
