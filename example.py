"""Query the accuracy and TPUv2 throughput surrogates for a random and a manual architecture.

Both ensembles ship with the package (anb/surrogates/default_surrogates): nothing is downloaded or fitted,
and every machine gets the same numbers, bit for bit.
"""

import anb
from configurationspaces.searchspaces import EfficientNetSS

seed = 3
# Create the ensembles: accuracy (%), and TPUv2 throughput (images/s)
ensemble_inst_acc = anb.ANBEnsemble("xgb", seed=seed)
ensemble_inst_thr = anb.ANBEnsemble("xgb", device="tpuv2", metric="throughput", seed=seed)

# Load them (the ensembles shipped with the package)
acc_model = ensemble_inst_acc.load_ensemble()
thr_model = ensemble_inst_thr.load_ensemble()

search_space = EfficientNetSS(seed=seed)

# A random sample from the search space
test_sample_rand = search_space.random_sample(1)

# Or a manual one: [[expansion x7], [kernel x7], [layers x7], [squeeze-excite x7]]
test_sample_man = search_space.manual_sample(
    [
        [1, 6, 6, 6, 6, 6, 6],  # expansion factor of the 7 blocks
        [3, 3, 5, 3, 5, 5, 3],  # kernel sizes
        [1, 2, 2, 3, 3, 4, 1],  # layers in each block
        [True, True, True, True, True, True, True],  # squeeze-excite
    ]
)

# A list of samples gives one mean and one std per sample
mean_acc, std = acc_model.query([test_sample_rand, test_sample_man])
print(f"Mean Accuracy: {mean_acc}\nStd Acc: {std}")
mean_thr, std = thr_model.query([test_sample_rand, test_sample_man])
print(f"Mean Throughput: {mean_thr}\nStd Thr: {std}")
