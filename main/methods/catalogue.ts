import { formatRange } from '../losses/params';
import type { LossDefinition, ParamSpec } from '../losses/types';
import { wrapText } from '../util/wrap-text';

/**
 * The training-method catalogue: samplers, deferred schedules, second stages and post-hoc
 * corrections, each described like a loss (formula, citation, plain words, parameters).
 * `losslab methods` lists it; recipes combine one loss with these.
 */

export interface MethodDefinition {
  id: string;
  name: string;
  kind: 'sampler' | 'schedule' | 'second-stage' | 'post-hoc';
  /** How to ask for it on `losslab run` (or in the report). */
  usage: string;
  formula: string;
  citation: LossDefinition['citation'];
  explanation: string;
  params: ParamSpec[];
}

const KANG = {
  authors: 'Kang, B., Xie, S., Rohrbach, M., Yan, Z., Gordo, A., Feng, J., Kalantidis, Y.',
  year: 2020,
  title: 'Decoupling Representation and Classifier for Long-Tailed Recognition',
  venue: 'ICLR',
};

const CAO = {
  authors: 'Cao, K., Wei, C., Gaidon, A., Arechiga, N., Ma, T.',
  year: 2019,
  title: 'Learning Imbalanced Datasets with Label-Distribution-Aware Margin Loss',
  venue: 'NeurIPS',
};

const EPOCH = (what: string): ParamSpec => ({
  key: 'epoch',
  label: 'epoch',
  description: `0-based epoch from which ${what} (after that many epochs of plain training); below the number of epochs.`,
  type: 'number',
  default: null,
  min: 0,
});

const STAGE_EPOCHS: ParamSpec = { key: 'epochs', label: 'epochs', description: 'Epochs of the second stage.', type: 'number', default: 10, min: 1, max: 200 };

const QUOTA_NOTE =
  'Each epoch draws as many images as the training set has, split between the classes in exact proportion to p_j (largest remainders round); within a class the images are drawn by cycling through fresh random permutations, so no image repeats before all of its class were drawn.';

const METHODS: readonly MethodDefinition[] = [
  {
    id: 'instance',
    name: 'Instance-balanced sampling',
    kind: 'sampler',
    usage: '--sampler instance (default)',
    formula: String.raw`p_j = \frac{n_j}{\sum_i n_i}`,
    citation: KANG,
    explanation: 'Every training image once per epoch in a random order: classes are seen as often as they occur. What LossLab has always done.',
    params: [],
  },
  {
    id: 'class-balanced',
    name: 'Class-balanced sampling',
    kind: 'sampler',
    usage: '--sampler class-balanced',
    formula: String.raw`p_j = \frac{1}{C}`,
    citation: KANG,
    explanation: `Every class is drawn equally often, so rare-class images repeat many times per epoch and frequent-class images are skipped. Balances what the classifier sees, at the risk of over-fitting the few rare images. ${QUOTA_NOTE}`,
    params: [],
  },
  {
    id: 'sqrt',
    name: 'Square-root sampling',
    kind: 'sampler',
    usage: '--sampler sqrt',
    formula: String.raw`p_j = \frac{n_j^{1/2}}{\sum_i n_i^{1/2}}`,
    citation: KANG,
    explanation: `A middle ground between instance and class-balanced sampling: classes are drawn in proportion to the square root of their size. ${QUOTA_NOTE}`,
    params: [],
  },
  {
    id: 'progressive',
    name: 'Progressively balanced sampling',
    kind: 'sampler',
    usage: '--sampler progressive',
    formula: String.raw`p_j(t) = \Big(1-\frac{t}{T}\Big)\,p_j^{IB} + \frac{t}{T}\,p_j^{CB}`,
    citation: KANG,
    explanation: `Starts with instance sampling (good for learning features) and moves linearly towards class-balanced sampling (good for the classifier) over the T epochs; t is the 0-based epoch. ${QUOTA_NOTE}`,
    params: [],
  },
  {
    id: 'drw',
    name: 'Deferred re-weighting (DRW)',
    kind: 'schedule',
    usage: '--drw EPOCH [--drw-beta β]',
    formula: String.raw`w_c = \begin{cases}1 & t < t_0\\ C\,\dfrac{(1-\beta)/(1-\beta^{n_c})}{\sum_k (1-\beta)/(1-\beta^{n_k})} & t \ge t_0\end{cases}`,
    citation: CAO,
    explanation:
      'Train with the plain loss first, so that the features are learned from all images alike, then switch to class-balanced weights (effective number, Cui et al. 2019) for the rest of training, when mostly the decision boundary moves. Applies to losses that take class weights: ce (then weighted cross-entropy, Σ w_y·ℓ / Σ w_y as in Cao et al.\'s code), focal (the weights become its α) and ldam (drives its own DRW). Losses that already re-weight are refused.',
    params: [EPOCH('the class-balanced weights are used'), { key: 'beta', label: 'β', description: 'Effective-number hyperparameter of the weights.', type: 'number', default: 0.9999, min: 0, max: 1, maxInclusive: false }],
  },
  {
    id: 'drs',
    name: 'Deferred re-sampling (DRS)',
    kind: 'schedule',
    usage: '--drs EPOCH',
    formula: String.raw`p_j(t) = \begin{cases}p_j^{\text{sampler}} & t < t_0\\ 1/C & t \ge t_0\end{cases}`,
    citation: CAO,
    explanation: 'Train with the chosen sampler (instance by default) first, then switch to the class-balanced sampler for the remaining epochs. The re-sampling twin of DRW.',
    params: [EPOCH('the class-balanced sampler is used')],
  },
  {
    id: 'crt',
    name: 'Classifier re-training (cRT)',
    kind: 'second-stage',
    usage: '--second-stage crt[:EPOCHS]',
    formula: String.raw`\min_{W,b}\; \mathbb{E}_{(x,y)\sim p^{CB}}\Big[-\log \mathrm{softmax}\big(W f(x) + b\big)_y\Big],\quad f \text{ frozen}`,
    citation: KANG,
    explanation:
      'After training with any loss, keep the selected network\'s features fixed, re-initialise the linear classifier and train it again with cross-entropy and class-balanced sampling. Decouples learning the features (where all images help) from learning the classifier (where balance matters). The stage is selected on validation balanced accuracy like the first.',
    params: [STAGE_EPOCHS],
  },
  {
    id: 'lws',
    name: 'Learnable weight scaling (LWS)',
    kind: 'second-stage',
    usage: '--second-stage lws[:EPOCHS]',
    formula: String.raw`\tilde z_c = s_c\, z_c = s_c\,(w_c^\top f(x) + b_c),\quad \min_{s}\; \mathbb{E}_{(x,y)\sim p^{CB}}\big[-\log \mathrm{softmax}(\tilde z)_y\big]`,
    citation: KANG,
    explanation:
      'After training with any loss, keep features and classifier fixed and learn one scale per class (starting at 1) with cross-entropy and class-balanced sampling, without weight decay. Only C numbers are learned, so it cannot over-fit the rare images the way cRT can; it re-balances how large each class\'s logits are.',
    params: [STAGE_EPOCHS],
  },
  {
    id: 'tau-norm',
    name: 'τ-normalisation of the classifier',
    kind: 'post-hoc',
    usage: 'a row of its own in the comparison and reports (every run without a second stage)',
    formula: String.raw`\tilde w_c = \frac{w_c}{\lVert w_c\rVert^{\tau}},\ \ \tilde b_c = \frac{b_c}{\lVert w_c\rVert^{\tau}}\ \Rightarrow\ \tilde z_c = \frac{z_c}{\lVert w_c\rVert^{\tau}},\quad \tau \in \{0, 0.1, \dots, 2\}`,
    citation: KANG,
    explanation:
      'Frequent classes end up with larger classifier weights, which biases predictions towards them. Dividing each class\'s weights by their norm to the power τ evens this out without any training; τ = 1 is full normalisation, τ = 0 changes nothing. τ is chosen per run on the validation set (balanced accuracy, the smallest τ on ties). LossLab scales each class\'s bias with its weights, so the adjusted logits are the trained ones divided by ‖w_c‖^τ.',
    params: [{ key: 'tau', label: 'τ', description: 'Chosen on validation from the grid 0, 0.1, …, 2.', type: 'number', default: null, min: 0, max: 2 }],
  },
];

export function listMethods(): MethodDefinition[] {
  return METHODS.slice();
}

export function methodsJson(defs: readonly MethodDefinition[]): (Omit<MethodDefinition, 'params'> & { params: (ParamSpec & { range: string })[] })[] {
  return defs.map((d) => ({ ...d, params: d.params.map((p) => ({ ...p, range: formatRange(p) })) }));
}

/** Listing for `losslab methods`, in the style of `losslab losses`. */
export function methodsText(defs: readonly MethodDefinition[]): string {
  return `${defs
    .map((d) => {
      const c = d.citation;
      const out = [`${d.id} — ${d.name} [${d.kind}]`, `  use:       ${d.usage}`, `  formula:   ${d.formula}`];
      out.push(wrapText(`cite: ${c.authors} (${c.year}). ${c.title}${c.venue ? `. ${c.venue}` : ''}.`, 92, '  '));
      for (const p of d.params) {
        out.push(`  ${p.key}: default ${p.default === null ? 'none' : String(p.default)}; ${formatRange(p)}`);
        out.push(wrapText(p.description, 88, '      '));
      }
      out.push(wrapText(d.explanation, 92, '  '));
      return out.join('\n');
    })
    .join('\n\n')}\n`;
}
