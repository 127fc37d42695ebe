// Precompiled header: the LibTorch headers that most translation units need.
#pragma once
#include <torch/nn.h>
#include <torch/optim.h>
#include <torch/serialize.h>
