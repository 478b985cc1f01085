"""`tfcharnlp generate MODEL_DIR --prompt ...`: sample text from a character language model."""


def register(subparsers):
    parser = subparsers.add_parser(
        "generate",
        help="generate text with a trained char_gru folder or an exported generator SavedModel",
        description=(
            "Samples characters after --prompt. The same seed gives the same text; "
            "--temperature 0 or --top-k 1 is greedy."
        ),
    )
    parser.add_argument("model_dir", metavar="MODEL_DIR")
    parser.add_argument("--prompt", default="\n", help="text to continue (default: a new line)")
    parser.add_argument("--length", type=int, default=200, help="characters to generate")
    parser.add_argument("--temperature", type=float, default=1.0, help="softmax temperature")
    parser.add_argument(
        "--top-k",
        "--top_k",
        dest="top_k",
        type=int,
        default=0,
        help="sample among the k likeliest (0: all)",
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed (reproducible output)")
    parser.set_defaults(func=run)


def run(args):
    from tfcharnlp.training.model_folder import generate_text
    from tfcharnlp.validation import check_int, check_number

    check_int("length", args.length, minimum=0)
    check_number("temperature", args.temperature, low=0.0)
    text = generate_text(
        args.model_dir,
        args.prompt,
        length=args.length,
        temperature=args.temperature,
        top_k=args.top_k,
        seed=args.seed,
    )
    print(text)
    return 0
