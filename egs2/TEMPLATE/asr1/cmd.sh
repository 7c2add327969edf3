# How asr_kd.sh starts jobs. cuda_cmd is only used for multi-GPU or multi-node training (espnet2.bin.launch):
# on one machine, run_local.sh runs the job here; on a cluster, point it at your scheduler's wrapper
# (for espnet2.bin.launch a Kaldi-style slurm.pl or queue.pl, e.g. cuda_cmd="slurm.pl --config conf/slurm.conf").
# shellcheck disable=SC2034  # read by asr_kd.sh, which sources this file
cuda_cmd="run_local.sh"
