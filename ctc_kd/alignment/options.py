"""The options of an alignment analysis, shared by ctc_kd.bin.alignment and the merge of its shards."""
import argparse


def add_options(parser: argparse.ArgumentParser, several_students: bool = False) -> None:
    """The models, the data, the output, the spike matching and plots, the batches and the device."""
    several = {"nargs": "+"} if several_students else {}
    parser.add_argument("--teacher_dir", required=True, help="the teacher's export: config.yaml + model.pth")
    parser.add_argument("--student_dir", required=True, **several,
                        help="the student's export: config.yaml + model.pth" +
                             (" (several: each against the teacher, in one process)" if several_students else ""))
    parser.add_argument("--data_dir", required=True,
                        help="a dumped data dir with wav.scp (e.g. dump/raw/dev); its text titles posteriors.png")
    parser.add_argument("--out_dir", required=True, **several,
                        help="writes alignment.json, posteriors.png, offsets.png" +
                             (" (one per --student_dir, in the same order)" if several_students else ""))
    parser.add_argument("--max_offset", type=int, default=None,
                        help="a teacher spike with no same-token student spike within this many frames is a miss "
                             "(default: no limit, only a token the student never emits in the utterance is a miss)")
    parser.add_argument("--plot_utt", default=None,
                        help="the utterance of posteriors.png (default: the median-length one)")
    parser.add_argument("--hist_clip", type=int, default=10,
                        help="offsets.png shows offsets -N..N; larger ones are counted in the edge bars")
    parser.add_argument("--batch_size", type=int, default=16, help="utterances per batch")
    parser.add_argument("--batch_bins", type=int, default=0,
                        help="also cap a batch at this many padded samples (utterances x longest); 0: no cap")
    parser.add_argument("--log_every", type=int, default=100, help="a progress line every N utterances")
    parser.add_argument("--ngpu", type=int, choices=(0, 1), default=0, help="1: run the models on the GPU")
    parser.add_argument("--num_threads", type=int, default=0,
                        help="CPU threads for torch (0: torch's default); fewer than the free cores avoids contention")
