"""ctc-kd: knowledge distillation recipes and ESPnet plugins for CTC speech recognisers."""
from setuptools import find_packages, setup

# espnet==202511 pins setuptools<74, and torch>=2.12 needs setuptools>=77: keep torch pinned to a release
# that installs beside it (torch and torchaudio must come from the same release).
install_requires = [
    "espnet==202511",
    "torch==2.9.1",
    "torchaudio==2.9.1",
    "sentencepiece==0.2.0",
    "kaldiio>=2.18.0",
    "pyyaml>=5.1.2",
    "soundfile>=0.12",
    "tensorboard>=2.10",
    "matplotlib>=3.7",
]

setup(
    name="ctc_kd",
    version="0.1.0",
    description="Knowledge distillation of CTC speech recognisers (FPKD, SKD and baselines) as ESPnet plugins",
    long_description=open("README.md", encoding="utf-8").read() if __import__("os").path.exists("README.md") else "",
    long_description_content_type="text/markdown",
    python_requires=">=3.11,<3.12",
    packages=find_packages(include=["ctc_kd", "ctc_kd.*"]),
    install_requires=install_requires,
    extras_require={"test": ["pytest>=7.4,<8.4", "pytest-timeout>=2.1", "pytest-xdist>=3.5", "numpy>=2.0"]},
    license="Apache-2.0",
)
