package io.mppbroker;
class Placeholder {}
