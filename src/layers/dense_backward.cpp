// Backward of Dense (dense.cpp), with dy = ∂loss/∂y:
//   (3') dz = dy ⊙ activation'(z), or ∂loss/∂logits when the loss read the logits z (Keras'
//        _keras_logits: TensorFlow's tape then has no path through y at all)
//   (2') dbias = Σ_rows dz
//   (1') dkernel = xᵀ · dz          dx = dz · kernelᵀ
#include "core/eigen.h"
#include "layers/activations_backward.h"
#include "layers/backward.h"

namespace maskviz {

void dense_backward(const BackwardArgs& args, const Tensor& kernel, const Tensor* bias, Activation activation,
                    BackwardResult& result) {
  const ConstMatMap x = as_matrix(args.input);  // [rows, D]
  const ConstMatMap w = as_matrix(kernel);      // [D, H]
  const Eigen::Index H = w.cols();
  Mat z = x * w;                                // [rows, H]
  if (bias != nullptr) z.rowwise() += ConstMatMap(bias->data(), 1, H).row(0);
  Mat dz(z.rows(), H);                          // [rows, H]
  if (args.d_logits != nullptr) {
    dz = as_matrix(*args.d_logits);
  } else {
    Mat y = z;
    apply_activation(activation, y.data(), static_cast<std::size_t>(y.rows()), static_cast<std::size_t>(H));
    activation_backward(activation, z.data(), y.data(), args.d_output.data(), dz.data(),
                        static_cast<std::size_t>(z.rows()), static_cast<std::size_t>(H));  // (3')
  }
  Tensor dkernel(kernel.shape);
  as_matrix(dkernel).noalias() = x.transpose() * dz;  // (1')
  result.grad.weights.push_back({"kernel", std::move(dkernel)});
  if (bias != nullptr) {
    Tensor dbias(bias->shape);
    MatMap(dbias.data(), 1, H) = dz.colwise().sum();  // (2')
    result.grad.weights.push_back({"bias", std::move(dbias)});
  }
  result.d_input = Tensor(args.input.shape);
  as_matrix(result.d_input).noalias() = dz * w.transpose();  // (1')
}

}  // namespace maskviz
