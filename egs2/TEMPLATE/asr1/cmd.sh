# How asr_kd.sh starts its jobs, in ESPnet's convention: train_cmd for data formatting and feature statistics,
# decode_cmd for decoding and the alignment analysis, cuda_cmd for trainings and work on GPUs (the teacher-output
# cache, decoding with --ngpu > 0). Each is a launcher called as Kaldi's run.pl is:
#   $cmd [--gpu N] [--mem X] [--time T] [--num_threads N] [--max_jobs_run N] [JOB=1:N] LOG COMMAND...
# cmd_backend: local (this machine, the default) or slurm (sbatch from a login node); `./run.sh --cmd_backend slurm`
# picks it for one run, changing the default below picks it for good. Slurm's partition, account, QOS... go into
# sbatch's own variables here, e.g. `export SBATCH_PARTITION=gpu SBATCH_ACCOUNT=myproject`, and per-job limits into
# the commands, e.g. cuda_cmd="slurm.pl --mem 32G --time 2-00:00:00".
# shellcheck disable=SC2034  # read by asr_kd.sh, which sources this file
cmd_backend=${cmd_backend:-local}
case $cmd_backend in
    local)
        train_cmd="launch_local.sh"
        decode_cmd="launch_local.sh"
        cuda_cmd="launch_local.sh"
        ;;
    slurm)
        train_cmd="launch_slurm.sh"
        decode_cmd="launch_slurm.sh"
        # launch_slurm.sh under the name espnet2.bin.launch needs to start a multi-node training with srun
        cuda_cmd="slurm.pl"
        ;;
    *)
        echo "cmd.sh: unknown cmd_backend '$cmd_backend': use local (this machine) or slurm (sbatch and srun)" >&2
        return 1
        ;;
esac
