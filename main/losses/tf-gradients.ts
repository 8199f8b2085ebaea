/**
 * Makes tf.grad work. The CommonJS build of @tensorflow/tfjs-core registers no gradient
 * functions, and its ESM `register_all_gradients` cannot be loaded from CommonJS (extensionless
 * imports). The Node bundle of @tensorflow/tfjs-layers registers every core gradient in the
 * shared registry as a side effect of being loaded, so importing it once is enough.
 */
import '@tensorflow/tfjs-layers';
