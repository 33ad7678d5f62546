/** What a verification run is asked to do and what it found (plain data: saved, printed, sent to webviews). */
import type { ExecutionProvider, OrtSessionSettings } from '../results/ort-run';
import type { AgreementVerdict, OutputAgreement, Tolerances } from './agreement';

export interface VerifyRequest {
  /** The reference model. */
  readonly modelA: string;
  /** The model checked against it (quantized, converted, optimized…). */
  readonly modelB: string;
  readonly ep: ExecutionProvider;
  readonly allowCpuFallback: boolean;
  readonly session: OrtSessionSettings;
  /** Values for symbolic dims (as for profiling). */
  readonly dims: Readonly<Record<string, number>>;
  /** The user's input data (.npy/.npz/.pb); else inputs synthesized with `seed`. */
  readonly inputFiles?: readonly string[];
  /** Seed for synthesized inputs (default 42: the same inputs on every machine). */
  readonly seed?: number;
  readonly tolerances?: Partial<Tolerances>;
}

export interface VerifyResult {
  readonly modelA: string;
  readonly modelB: string;
  /** The provider both models ran on. */
  readonly ep: ExecutionProvider;
  /** A's inputs, as fed (B got the same, cast where its types differ). */
  readonly inputs: readonly { readonly name: string; readonly dtype: string; readonly dims: readonly number[] }[];
  readonly inputNotes: readonly string[];
  readonly outputs: readonly OutputAgreement[];
  readonly verdict: AgreementVerdict;
  readonly tolerances: Tolerances;
  /** One run of each model (the first after session creation), ms. */
  readonly runMs: { readonly a: number; readonly b: number };
}
