"""Operations endpoints: health, metrics and public prompt audio."""
